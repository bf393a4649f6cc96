"""LearnHouse users: signup into an org, the caller's profile."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post

from api.security import no_api_tokens
from application.accounts import Accounts, NewAccount
from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.views import AnonymousUserView, UserView


class UserCreate(msgspec.Struct, kw_only=True):
    username: str
    email: str
    password: str
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

    @get("/profile", operation_id="user_profile", summary="The caller's profile (anonymous when not signed in)", sync_to_thread=False)
    def profile(self, authz: Authorization, accounts: Accounts, principal: Principal) -> UserView | AnonymousUserView:
        if principal.token is not None:
            authz.require_user(principal)
        if principal.user_id is None:
            return AnonymousUserView()
        return accounts.user_view(principal.user_id)

    @post("/{org_id:str}", operation_id="signup_into_org", summary="Sign up a new user into an organization", sync_to_thread=True, status_code=200)
    def signup(self, authz: Authorization, orgs: Organizations, principal: Principal, org_id: str, data: UserCreate) -> UserView:
        if principal.token is not None:
            authz.require_user(principal)
        account = NewAccount(
            email=data.email,
            password=data.password,
            username=data.username,
            first_name=data.first_name,
            last_name=data.last_name,
            avatar_image=data.avatar_image,
        )
        return orgs.sign_up(org_id, account)
