"""Builds the org administration services: custom roles, signups and invite codes, a user's
own profile and password. Called by ``api.wiring.build_services``."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts import Accounts
from application.authorization import Authorization
from application.invites import Invites
from application.org_roles import OrgRoles
from application.organizations import Organizations
from application.ports import LoginThrottle, PasswordHasher
from application.profiles import Profiles
from application.signups import Signups
from application.writer import Writer
from infrastructure.secret_box import SecretBox
from infrastructure.settings import Settings
from infrastructure.token_hashing import TokenHasher
from projections.identity import IdentityProjection
from projections.invites import InvitesProjection
from projections.queries.identity import IdentityQueries
from projections.queries.invites import InviteQueries
from projections.queries.roles import RoleQueries


@dataclass(frozen=True)
class OrgAdminServices:
    org_roles: OrgRoles
    invites: Invites
    signups: Signups
    profiles: Profiles


@dataclass(frozen=True)
class IdentityParts:
    """What accounts are built with, shared so that a password change verifies, hashes and
    throttles exactly as sign-in does."""

    accounts: Accounts
    hasher: PasswordHasher
    throttle: LoginThrottle


def build_org_admin(
    settings: Settings,
    writer: Writer,
    identity: IdentityQueries,
    authz: Authorization,
    orgs: Organizations,
    parts: IdentityParts,
    models: tuple[IdentityProjection, InvitesProjection],
    box: SecretBox,
) -> OrgAdminServices:
    identity_model, invites_model = models
    invite_q = InviteQueries(invites_model)
    # Invite codes are found by a keyed digest, with the server key API tokens use.
    digester = TokenHasher.from_settings(settings.api_token_key, settings.data_dir)
    return OrgAdminServices(
        org_roles=OrgRoles(writer, identity, authz, orgs, RoleQueries(identity_model)),
        invites=Invites(writer, orgs, authz, invite_q, digester, box),
        signups=Signups(writer, identity, parts.accounts, invite_q, digester),
        profiles=Profiles(writer, identity, authz, parts.hasher, parts.throttle),
    )
