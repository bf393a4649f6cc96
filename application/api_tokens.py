"""API tokens: issue, list, change, revoke and regenerate (user sessions with ``roles`` rights
only), and resolve a presented ``lh_`` token to a Principal on every request (the resolver of
``application.api_token_resolver``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.api_token_resolver import TokenResolver, TokenSecrets, now_utc
from application.api_token_schemas import (
    ApiTokenCreated,
    ApiTokenView,
    TokenCreate,
    TokenUpdate,
    check_name,
    parse_expiry,
)
from application.api_token_usage import UsageCoalescer
from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.paging import page_of
from application.writer import Writer
from domain.api_tokens import ApiToken, TokenRights, beyond, ceiling, normalise_token_rights
from domain.claims import UniqueClaim
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.ids import claim_id
from domain.rights import Action, allows
from projections.queries.api_tokens import ApiTokenQueries, TokenUsage
from projections.queries.identity import IdentityQueries

READ_MODELS = ("api_tokens",)
NOT_FOUND = "API token not found"
NAME_CLAIM = "apitoken_name"
VERBS: dict[Action, str] = {"create": "create", "read": "view", "update": "update", "delete": "revoke"}


class ApiTokens:
    def __init__(
        self,
        writer: Writer,
        queries: ApiTokenQueries,
        usage: TokenUsage,
        coalescer: UsageCoalescer,
        secrets: TokenSecrets,
        authz: Authorization,
        orgs: Organizations,
        identity: IdentityQueries,
    ) -> None:
        self._writer = writer
        self._q = queries
        self._usage = usage
        self.coalescer = coalescer
        self._secrets = secrets
        self._authz = authz
        self._orgs = orgs
        self._identity = identity
        self._resolver = TokenResolver(queries, secrets, identity, coalescer)

    # -- management (user sessions only) -------------------------------------------------
    def _gate(self, principal: Principal, org_ref: str | int, action: Action) -> str:
        self._authz.require_user(principal)
        org_uuid = self._orgs.org_uuid(org_ref)
        rights = self._authz.rights_in(principal, org_uuid)
        if rights is None:
            raise Forbidden("You are not a member of this organization")
        if not allows(rights, "roles", action):
            raise Forbidden(
                f"You don't have permission to {VERBS[action]} API tokens in this organization"
            )
        return org_uuid

    def _grantable(self, principal: Principal, org_uuid: str, raw: Any | None) -> TokenRights:
        """The requested rights, refused (403, naming the right) beyond the caller's own."""
        held = ceiling(self._authz.rights_in(principal, org_uuid))
        if raw is None:
            # Without a ``rights`` object a token gets its creator's LearnHouse rights; the
            # audit export (every member's actions, learnstream's own) is only granted by name.
            held["audit"] = {action: False for action in held["audit"]}
            return held
        try:
            requested = normalise_token_rights(raw)
        except ValueError as error:
            raise InvalidInput(str(error), field="rights") from None
        over = beyond(requested, held)
        if over is not None:
            resource, action = over
            raise Forbidden(
                f"Cannot grant '{action}' permission for '{resource}' as you don't have this "
                "permission yourself",
                code="RIGHT_NOT_HELD",
            )
        return requested

    def issue(self, principal: Principal, org_ref: str | int, command: TokenCreate) -> ApiTokenCreated:
        org_uuid = self._gate(principal, org_ref, "create")
        name = check_name(command.name)
        rights = self._grantable(principal, org_uuid, command.rights)
        expires_at = parse_expiry(command.expires_at, now_utc())
        self._refuse_taken_name(org_uuid, name)
        token, prefix = self._secrets.new_token()
        creator = principal.user_id
        assert creator is not None
        aggregate = ApiToken(
            org_id=UUID(org_uuid),
            creator_id=creator,
            name=name,
            description=command.description,
            token_prefix=prefix,
            secret_hash=self._secrets.digest(token),
            rights=rights,
            expires_at=expires_at,
        )
        self._save_with_claim(aggregate, org_uuid, name, None)
        return self._created(token, str(aggregate.id))

    def list_tokens(self, principal: Principal, org_ref: str | int, page: int, limit: int) -> list[ApiTokenView]:
        org_uuid = self._gate(principal, org_ref, "read")
        window = page_of(page, limit, 100)
        return self._views(self._q.page(org_uuid, window.number, window.limit))

    def get(self, principal: Principal, org_ref: str | int, token_ref: str) -> ApiTokenView:
        org_uuid = self._gate(principal, org_ref, "read")
        return self._views([self._row(org_uuid, token_ref)])[0]

    def update(
        self, principal: Principal, org_ref: str | int, token_ref: str, command: TokenUpdate
    ) -> ApiTokenView:
        org_uuid = self._gate(principal, org_ref, "update")
        row = self._row(org_uuid, token_ref)
        changes: dict[str, Any] = {}
        if command.name is not None:
            changes["name"] = check_name(command.name)
        if command.description is not None:
            changes["description"] = command.description
        if command.expires_at is not msgspec.UNSET:
            changes["expires_at"] = parse_expiry(command.expires_at, now_utc())  # type: ignore[arg-type]
        rights = None if command.rights is None else self._grantable(principal, org_uuid, command.rights)
        renamed = "name" in changes and changes["name"].lower() != row["name"].lower()
        if renamed:
            self._refuse_taken_name(org_uuid, changes["name"], row["token_uuid"])

        def apply() -> None:
            aggregate = self._load(row["token_uuid"])
            old_name = aggregate.name
            aggregate.update(changes)
            if rights is not None:
                aggregate.change_rights(rights)
            if renamed:
                self._save_with_claim(aggregate, org_uuid, aggregate.name, old_name)
            else:
                self._writer.save(aggregate, read_models=READ_MODELS)

        self._writer.retrying(apply)
        return self.get(principal, org_uuid, row["token_uuid"])

    def revoke(self, principal: Principal, org_ref: str | int, token_ref: str) -> None:
        org_uuid = self._gate(principal, org_ref, "delete")
        row = self._row(org_uuid, token_ref)

        def apply() -> None:
            aggregate = self._load(row["token_uuid"])
            if not aggregate.active:
                return
            aggregate.revoke()
            claim = self._writer.events.get(claim_id(NAME_CLAIM, _claim_value(org_uuid, aggregate.name)), UniqueClaim)
            if claim is not None and claim.owner_id == aggregate.id:
                claim.release()
            self._writer.save(aggregate, claim, read_models=READ_MODELS)

        self._writer.retrying(apply)

    def regenerate(self, principal: Principal, org_ref: str | int, token_ref: str) -> ApiTokenCreated:
        org_uuid = self._gate(principal, org_ref, "update")
        row = self._row(org_uuid, token_ref)
        token, prefix = self._secrets.new_token()

        def apply() -> None:
            aggregate = self._load(row["token_uuid"])
            aggregate.regenerate(prefix, self._secrets.digest(token))
            self._writer.save(aggregate, read_models=READ_MODELS)

        self._writer.retrying(apply)
        return self._created(token, row["token_uuid"])

    # -- helpers ------------------------------------------------------------------------
    def _row(self, org_uuid: str, token_ref: str) -> dict[str, Any]:
        row = self._q.row(token_ref)
        if row is None or row["org_uuid"] != org_uuid:
            raise NotFound(NOT_FOUND)
        return row

    def _load(self, token_uuid: str) -> ApiToken:
        aggregate = self._writer.events.get(UUID(token_uuid), ApiToken)
        if aggregate is None:
            raise NotFound(NOT_FOUND)
        return aggregate

    def _refuse_taken_name(self, org_uuid: str, name: str, except_uuid: str = "") -> None:
        if self._q.active_name_taken(org_uuid, name, except_uuid):
            raise _name_taken(name)

    def _save_with_claim(
        self, aggregate: ApiToken, org_uuid: str, claim_name: str | None, release_name: str | None
    ) -> None:
        """Save with a claim on the (org, name) pair, so two racing creations cannot both win."""
        from eventsourcing.persistence import IntegrityError

        claims: list[UniqueClaim] = []
        if claim_name is not None:
            value = _claim_value(org_uuid, claim_name)
            claim = self._writer.events.get(claim_id(NAME_CLAIM, value), UniqueClaim)
            if claim is None:
                claim = UniqueClaim(kind=NAME_CLAIM, value=value, owner_id=aggregate.id)
            elif claim.held and claim.owner_id != aggregate.id:
                raise _name_taken(claim_name)
            elif not claim.held:
                claim.retake(owner_id=aggregate.id)
            claims.append(claim)
        if release_name is not None:
            value = _claim_value(org_uuid, release_name)
            old = self._writer.events.get(claim_id(NAME_CLAIM, value), UniqueClaim)
            if old is not None and old.owner_id == aggregate.id:
                old.release()
                claims.append(old)
        try:
            self._writer.save(aggregate, *claims, read_models=READ_MODELS)
        except IntegrityError:
            if claim_name is not None and aggregate.version == 1:
                raise _name_taken(claim_name) from None
            raise

    def _created(self, token: str, token_uuid: str) -> ApiTokenCreated:
        view = self._views([self._row_any(token_uuid)])[0]
        return ApiTokenCreated(
            token=token,
            token_uuid=view.token_uuid,
            name=view.name,
            description=view.description,
            token_prefix=view.token_prefix,
            org_id=view.org_id,
            rights=view.rights,
            created_by_user_id=view.created_by_user_id,
            creation_date=view.creation_date,
            expires_at=view.expires_at,
        )

    def _row_any(self, token_uuid: str) -> dict[str, Any]:
        row = self._q.row(token_uuid)
        if row is None:
            raise NotFound(NOT_FOUND)
        return row

    def _views(self, rows: list[dict[str, Any]]) -> list[ApiTokenView]:
        uuids = [r["token_uuid"] for r in rows]
        used = self._usage.last_used(uuids)
        for key, value in self.coalescer.pending().items():
            if key in used and used[key] >= value:
                continue
            if key in uuids:
                used[key] = value
        creators = self._identity.users_by_uuid({r["creator_uuid"] for r in rows})
        org_ids: dict[str, int] = {}
        out = []
        for r in rows:
            if r["org_uuid"] not in org_ids:
                org = self._identity.org_row(r["org_uuid"])
                org_ids[r["org_uuid"]] = int(org["id"]) if org else 0
            creator = creators.get(r["creator_uuid"])
            out.append(
                ApiTokenView(
                    id=int(r["id"]),
                    token_uuid=f"apitoken_{r['token_uuid']}",
                    name=r["name"],
                    description=r["description"],
                    token_prefix=r["token_prefix"],
                    org_id=org_ids[r["org_uuid"]],
                    rights=r["rights"],
                    created_by_user_id=creator.id if creator else None,
                    creation_date=r["creation_date"],
                    update_date=r["update_date"],
                    last_used_at=used.get(r["token_uuid"]),
                    expires_at=r["expires_at"],
                    is_active=bool(r["active"]),
                )
            )
        return out

    def principal_for(self, token: str, ip: str = "") -> Principal | None:
        """The grant behind a token; None when it is unknown, revoked or expired."""
        return self._resolver.principal_for(token, ip)


def _claim_value(org_uuid: str, name: str) -> str:
    return f"{org_uuid}:{name.lower()}"


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"An active API token with the name '{name}' already exists in this organization",
        code="TOKEN_NAME_TAKEN",
    )
