"""Signing in with GitHub (``GET /api/auth/github`` and its callback), OAuth 2.0 web flow.

``authorize`` sends the browser to GitHub with a ``state`` that is HMAC-signed, expires, and
carries the path to return to and a nonce that is also set as a cookie on this browser: a
callback is accepted only from the browser that started it (a sign-in link made by someone
else fails, which stops login CSRF). ``callback`` exchanges the code for a token, reads the
GitHub profile, and finds the user by GitHub id through a ``github`` uniqueness claim, so
concurrent first sign-ins of one GitHub account make one user, and a returning user is the
same user. The browser is then sent back to the relative path it asked for, never elsewhere.

GitHub's profile fields are personal data and live where the erasure registry seals them: the
login name as the user's ``username`` and the avatar URL as ``avatar_image`` (``UserRegistered``,
``UserProfileUpdated``). No password is set: such an account signs in through GitHub only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.accounts import IDENTITY, Accounts, normalise_email
from application.ports import SessionTokens
from application.views import UserView
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import DomainError, InvalidInput, RuleBroken
from domain.ids import claim_id
from domain.users import User
from projections.queries.identity import IdentityQueries

NOT_CONFIGURED = "GitHub OAuth is not configured"
BAD_STATE = "Invalid or expired OAuth state"
BAD_REDIRECT = "redirect must be a relative path on this site"
CLAIM_KIND = "github"
SCOPE = "read:user user:email"
_USERNAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


class NotConfigured(DomainError):
    """GitHub sign-in has no client id and secret (HTTP 501)."""

    code = "GITHUB_NOT_CONFIGURED"


class GitHubUnavailable(DomainError):
    """GitHub could not be reached or failed (HTTP 502)."""

    code = "GITHUB_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class GitHubProfile:
    id: int
    login: str
    avatar_url: str
    #: a verified address, when GitHub gives one
    email: str | None


class GitHubApi(Protocol):
    async def exchange(self, code: str, redirect_uri: str) -> str | None:
        """The access token, None when GitHub refuses the code; ``GitHubUnavailable`` when
        it cannot answer."""
        ...

    async def profile(self, token: str) -> GitHubProfile: ...


class StateSigner(Protocol):
    def issue(self, payload: dict[str, Any]) -> str: ...

    def verify(self, state: str) -> dict[str, Any] | None:
        """The payload, or None when the signature is wrong or the state has expired."""
        ...


@dataclass(frozen=True, slots=True)
class Authorize:
    location: str
    #: set as a cookie on the browser; the callback must bring it back
    nonce: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: UserView
    tokens: SessionTokens
    redirect: str


def safe_redirect(path: str | None) -> str:
    """A path on this site, or ``RuleBroken``: ``//host``, ``/\\host``, schemes and control
    characters would let a browser leave for another host."""
    path = "/" if path is None or path == "" else path
    if (
        not path.startswith("/") or path.startswith("//") or "\\" in path
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path) or len(path) > 2000
    ):
        raise RuleBroken(BAD_REDIRECT, code="UNSAFE_REDIRECT")
    return path


class GitHubLogin:
    def __init__(
        self, *, client_id: str, authorize_url: str, api: GitHubApi | None,
        states: StateSigner, writer: Writer, identity: IdentityQueries, accounts: Accounts,
    ) -> None:
        self._client_id = client_id
        self._authorize_url = authorize_url
        self._api = api
        self._states = states
        self._writer = writer
        self._identity = identity
        self._accounts = accounts

    @property
    def configured(self) -> bool:
        return bool(self._client_id) and self._api is not None

    def authorize(self, redirect: str | None, callback_url: str) -> Authorize:
        if not self.configured:
            raise NotConfigured(NOT_CONFIGURED)
        nonce = secrets.token_urlsafe(16)
        state = self._states.issue({"r": safe_redirect(redirect), "n": nonce})
        query = urlencode({"client_id": self._client_id, "redirect_uri": callback_url,
                           "scope": SCOPE, "state": state, "allow_signup": "true"})
        return Authorize(f"{self._authorize_url}?{query}", nonce)

    async def callback(
        self, code: str, state: str, nonce: str | None, callback_url: str
    ) -> SignedIn:
        if not self.configured or self._api is None:
            raise NotConfigured(NOT_CONFIGURED)
        payload = self._states.verify(state)
        if payload is None or not nonce or not secrets.compare_digest(str(payload.get("n")), nonce):
            raise RuleBroken(BAD_STATE, code="BAD_OAUTH_STATE")
        redirect = safe_redirect(str(payload.get("r") or "/"))
        if not code.strip():
            raise InvalidInput("code: must not be empty", field="code")
        token = await self._api.exchange(code, callback_url)
        if token is None:
            raise RuleBroken("GitHub did not accept the sign-in code", code="GITHUB_CODE_REFUSED")
        profile = await self._api.profile(token)
        user = await self._upsert(profile)
        return SignedIn(user, self._accounts.start_session(user), redirect)

    async def _upsert(self, profile: GitHubProfile) -> UserView:
        for _ in range(5):
            try:
                return await self._upsert_once(profile)
            except IntegrityError:
                continue  # a racing sign-in of the same account, or a name taken meanwhile
        raise GitHubUnavailable("Could not record the sign-in, please retry")

    async def _upsert_once(self, profile: GitHubProfile) -> UserView:
        events = self._writer.events
        claim = events.get(claim_id(CLAIM_KIND, str(profile.id)), UniqueClaim)
        if claim is not None and claim.owner_id is not None:
            user = events.get(claim.owner_id, User)
            if user is not None and not getattr(user, "erased", False):
                if not user.avatar_image and profile.avatar_url:
                    user.update_profile({"avatar_image": profile.avatar_url})
                    await self._writer.save_async(user, read_models=IDENTITY)
                return self._accounts.user_view(user.id)
        email = self._free_email(profile.email)
        user = User(email=email, username=self._free_username(profile.login), first_name="",
                    last_name="", password_hash="", avatar_image=profile.avatar_url)
        claims = [UniqueClaim(kind="username", value=user.username.lower(), owner_id=user.id)]
        if email:
            claims.append(UniqueClaim(kind="email", value=email, owner_id=user.id))
        if claim is None:
            claims.append(UniqueClaim(kind=CLAIM_KIND, value=str(profile.id), owner_id=user.id))
        else:
            # The account it named was erased (or released it): the GitHub id starts afresh.
            claim.retake(user.id)
            claims.append(claim)
        await self._writer.save_async(user, *claims, read_models=IDENTITY)
        return self._accounts.user_view(UUID(str(user.id)))

    def _free_username(self, login: str) -> str:
        base = _USERNAME_CHARS.sub("", login)[:48] or "github-user"
        candidate = base
        while self._identity.user_by_username(candidate) is not None:
            candidate = f"{base}-{secrets.randbelow(10**6)}"
        return candidate

    def _free_email(self, email: str | None) -> str:
        """GitHub's verified address when no account uses it yet; else none. An address an
        account already holds is never linked: whoever registered it may not be this person."""
        if not email:
            return ""
        try:
            normal = normalise_email(email)
        except InvalidInput:
            return ""
        return "" if self._identity.user_by_email(normal) is not None else normal
