"""LearnHouse users: signup into an org (open, or with an invite code), the caller's profile
and password; and erasure of a person's personal data (learnstream's own, ``application.erasure``)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put

from api.params import Email, Password, Username
from api.routes.cookies import keep_session_cookies
from api.schemas import Detail, errors
from api.security import no_api_tokens
from application.accounts import Accounts, NewAccount
from application.authorization import Authorization, Principal
from application.erasure import Erasures
from application.profiles import PasswordChange, Profiles, ProfileUpdate
from application.signups import Signups
from application.views import AnonymousUserView, UserView
from infrastructure.settings import Settings


class UserCreate(msgspec.Struct, kw_only=True):
    username: Username
    email: Email
    password: Password
    first_name: str = ""
    last_name: str = ""
    avatar_image: str = ""
    bio: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    profile: dict[str, Any] = msgspec.field(default_factory=dict)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]
    guards = [no_api_tokens]

    @get("/profile", operation_id="get_profile", responses=errors(401, 403), summary="The caller's profile (anonymous when not signed in)", sync_to_thread=False)
    def profile(self, authz: Authorization, accounts: Accounts, principal: Principal) -> UserView | AnonymousUserView:
        if principal.token is not None:
            authz.require_user(principal)
        if principal.user_id is None:
            return AnonymousUserView()
        return accounts.user_view(principal.user_id)

    @post("/{org_id:str}", operation_id="signup_into_org", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Sign up a new user into an organization", sync_to_thread=True, status_code=200)
    def signup(self, authz: Authorization, signups: Signups, principal: Principal, org_id: str, data: UserCreate) -> UserView:
        if principal.token is not None:
            authz.require_user(principal)
        return signups.sign_up(org_id, _account(data))

    @post("/{org_id:str}/invite/{invite_code:str}", operation_id="signup_into_org_with_invite", summary="Sign up a new user into an invite-only organization with an invite code", sync_to_thread=True, status_code=200, responses=errors(400, 401, 403, 404, 409, 413, 422))
    def signup_with_invite(self, authz: Authorization, signups: Signups, principal: Principal, org_id: str, invite_code: str, data: UserCreate) -> UserView:
        if principal.token is not None:
            authz.require_user(principal)
        return signups.sign_up_with_invite(org_id, invite_code, _account(data))

    @put(
        "/change_password/{user_id:str}", operation_id="change_user_password",
        summary="Change the caller's password (needs the current one)", sync_to_thread=True,
        description=(
            "Ends every other session of the user: their access and refresh tokens stop working."
            " The session that made the change goes on: its auth cookies are replaced in this"
            " response (a client holding its token in a header signs in again)."
        ),
        responses=errors(400, 401, 403, 404, 409, 413, 422),
    )
    def change_password(
        self, request: Request[Any, Any, Any], profiles: Profiles, accounts: Accounts,
        settings: Settings, principal: Principal, user_id: str, data: PasswordChange,
    ) -> Response[UserView]:
        user = profiles.change_password(principal, user_id, data)
        response = Response(user)
        if principal.session_id is not None:
            keep_session_cookies(
                response, request, settings, accounts.start_session(user, principal.session_id)
            )
        return response

    @put("/{user_id:str}", operation_id="update_user", summary="Update the caller's profile (partial)", sync_to_thread=True, responses=errors(400, 401, 403, 404, 409, 413, 422))
    def update(self, profiles: Profiles, principal: Principal, user_id: str, data: ProfileUpdate) -> UserView:
        return profiles.update_profile(principal, user_id, data)


    @delete(
        "/{user_id:str}", operation_id="erase_user", status_code=200, sync_to_thread=True,
        summary="Erase a user's personal data (the user, or an admin of one of their organizations)",
        description=(
            "Destroys the user's personal-data key: their email, names, username, avatar, bio"
            " and assessment answers read as erased everywhere from then on, after a replay"
            " too, while the log stays intact. Their sessions end; their email and username"
            " can be registered again. The last admin of an organization is refused (409)."
        ),
        responses=errors(401, 403, 404, 409),
    )
    def erase(self, erasures: Erasures, principal: Principal, user_id: str) -> Detail:
        erasures.erase(principal, user_id)
        return Detail(detail="User erased")


def _account(data: UserCreate) -> NewAccount:
    return NewAccount(
        email=data.email,
        password=data.password,
        username=data.username,
        first_name=data.first_name,
        last_name=data.last_name,
        avatar_image=data.avatar_image,
    )
