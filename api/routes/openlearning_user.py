"""The signed-in OpenLearning user behind a request (cookie or bearer session, never an API
token), shared by the assessment, key and knowledge routes."""

from __future__ import annotations

from uuid import UUID

from application.authorization import Principal
from domain.errors import Unauthenticated


def signed_in(principal: Principal) -> UUID:
    if principal.user_id is None or principal.token is not None:
        raise Unauthenticated("Not authenticated")
    return principal.user_id
