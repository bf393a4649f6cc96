"""Typed path and query parameters whose bounds the OpenAPI document states as the server
enforces them (so generated clients and schema-driven fuzzers agree with the answers)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from domain.ids import INT64_MAX

#: a numeric id as the read models store it (a log position)
NumericId = Annotated[int, Parameter(ge=0, le=INT64_MAX)]
#: an aggregate version, counted from 1
VersionNumber = Annotated[int, Parameter(ge=1, le=INT64_MAX)]
