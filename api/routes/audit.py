"""The audit export of an org: its events as NDJSON (default) or CSV, streamed, hash-chained."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType
from litestar.params import Parameter
from litestar.response import Stream

from api.params import MAX_JSON_INT
from api.schemas import answered_as, errors
from application.audit_export import AuditExport, ExportRequest
from application.authorization import Principal
from application.export_formats import FORMATS, chunks
from domain.errors import InvalidInput

# The values below are documented (``schema_extra``) but checked by the export itself, which
# names the field in its own words.
Format = Annotated[
    str | None,
    Parameter(
        description="ndjson (default) or csv; `Accept: text/csv` asks for CSV too",
        schema_extra={"one_of": None, "type": OpenAPIType.STRING, "enum": sorted(FORMATS)},
    ),
]
Moment = Annotated[
    str | None,
    Parameter(
        description="ISO 8601 date or time (UTC when it has no offset)",
        schema_extra={"one_of": None, "type": OpenAPIType.STRING, "format": "date-time"},
    ),
]
Position = Annotated[
    int, Parameter(ge=0, le=MAX_JSON_INT, description="Only events after this log position")
]


def chosen_format(requested: str | None, accept: str) -> str:
    if requested is None:
        return "csv" if "text/csv" in accept else "ndjson"
    if requested not in FORMATS:
        raise InvalidInput("format must be ndjson or csv", field="format")
    return requested


class AuditController(Controller):
    path = "/api/v1/orgs/{org_id:str}/audit"
    tags = ["audit"]

    @get(
        "/events",
        operation_id="export_audit_events",
        summary="The org's events, streamed with a hash chain (org admins, or a token with "
        "the audit right)",
        description="Each record: org, seq (its number in the org's log), position, time, "
        "event, aggregate_type, aggregate_uuid, version, actor, request_id, data, prev, hash "
        "where hash = sha256(prev ‖ canonical JSON of the record). `since` is inclusive, "
        "`until` exclusive; `types` takes event names separated by commas. The "
        "`X-Audit-Upto` header is the last log position the export covers: the next "
        "incremental pull's `after`.",
        responses={
            200: ResponseSpec(
                str, media_type="application/x-ndjson", generate_examples=False,
                description="One JSON record per line (or CSV with a header row)",
            ),
            **errors(401, 403, 404, 422),
        },
        operation_class=answered_as("application/x-ndjson", "text/csv"),
        sync_to_thread=True,
    )
    def events(
        self,
        request: Request[Any, Any, Any],
        audit_export: AuditExport,
        principal: Principal,
        org_id: str,
        format: Format = None,
        since: Moment = None,
        until: Moment = None,
        after: Position = 0,
        types: str | None = None,
        aggregate: str | None = None,
        actor: str | None = None,
    ) -> Stream:
        name = chosen_format(format, request.headers.get("accept", ""))
        plan = audit_export.plan(
            principal, org_id,
            ExportRequest(
                since=since, until=until, after=after,
                types=[t.strip() for t in (types or "").split(",") if t.strip()],
                aggregate=aggregate, actor=actor,
            ),
        )
        return Stream(
            chunks(name, audit_export.pages(plan)),
            media_type=FORMATS[name],
            headers={"X-Audit-Upto": str(plan.upto)},
        )
