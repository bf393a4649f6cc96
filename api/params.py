"""Typed path and query parameters whose bounds the OpenAPI document states as the server
enforces them (so generated clients and schema-driven fuzzers agree with the answers).

Litestar writes a bound as a JSON number, which readers take as a double: ``2**63 - 1`` would
round up to ``2**63`` and invite values the server refuses. Ids are therefore bounded by the
largest integer a double carries exactly; numeric ids are log positions, far below it.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi.spec import OpenAPIType
from litestar.params import Parameter

from application.paging import MAX_OFFSET
from domain.generation_jobs import STATUSES
from domain.knowledge import Level

#: the largest integer a JSON number carries exactly
MAX_JSON_INT = 2**53 - 1
#: the deepest page whose offset stays within ``MAX_OFFSET`` at the default limit cap (100)
MAX_PAGE = MAX_OFFSET // 100 + 1

#: a numeric id as the read models store it (a log position), taken as text so that a path
#: segment that is not a number is a 422 (as LearnHouse answers), not an unmatched route
NumericId = Annotated[
    str, Parameter(pattern=r"^[0-9]{1,15}$", description="A numeric id (digits only)")
]
#: an aggregate version, counted from 1
VersionNumber = Annotated[int, Parameter(ge=1, le=MAX_JSON_INT)]

Page = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1")]
#: a page size; lists lower one above their cap to the cap
Limit = Annotated[int, Parameter(ge=1, le=MAX_JSON_INT, description="Page size (capped by the server)")]
#: rows to skip before a page (lists that count by offset rather than page)
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="Rows to skip")]
SearchLimit = Annotated[int, Parameter(ge=1, le=50, description="Results per page")]
SearchText = Annotated[
    str,
    Parameter(
        query="query", min_length=1, max_length=200, pattern=r"\S",
        description="Words to find (1 to 200 characters, not only spaces)",
    ),
]

# Checked by the services, which answer in the seeds' own words: the values are documented
# (``schema_extra``), not enforced a second time by Litestar.
#: a generation job's status filter (LearningStudio answers 400 for another); optional, so
#: documented as a plain string enum rather than "string or null"
JobStatus = Annotated[
    str | None,
    Parameter(schema_extra={"one_of": None, "type": OpenAPIType.STRING, "enum": list(STATUSES)}),
]
#: a custom role by numeric id or ``role_<uuid>`` (LearnHouse answers 400 for another form)
RoleRef = Annotated[str, Parameter(schema_extra={"pattern": r"^(?:[0-9]{1,18}|role_.+)$"})]
#: a career level of the knowledge base (OpenLearning answers 400 for another)
CareerLevel = Annotated[str, Parameter(schema_extra={"enum": list(Level.names())})]

# Checked by the services, which answer in the seeds' own words (422 for a bad email, 400 for
# the password rule): documented here (``extra``), not enforced a second time by msgspec.
Email = Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"format": "email"}})]
Password = Annotated[
    str, msgspec.Meta(extra_json_schema={"extra": {"min_length": 8, "max_length": 128}})
]
#: a name the service strips and then refuses when empty
NotBlank = Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"pattern": r"\S"}})]
#: LearnHouse's username rule; an empty one is made up from the email
Username = Annotated[
    str, msgspec.Meta(extra_json_schema={"extra": {"pattern": r"^[A-Za-z0-9_.-]{0,64}$"}})
]
