"""Accounts: registration, password sign-in with throttling, sessions."""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import time
from uuid import UUID

import msgspec

from application.authorization import Principal
from application.ports import (
    LoginThrottle,
    PasswordHasher,
    SessionTokens,
    TokenClaims,
    TokenCodec,
)
from application.views import UserView
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import Conflict, InvalidInput, NotFound, RuleBroken, Unauthenticated
from domain.ids import claim_id
from domain.users import User
from projections.queries.identity import IdentityQueries, user_view

IDENTITY = ("identity",)
BAD_CREDENTIALS = "Incorrect Email or password"
EMAIL_TAKEN = "An account with this email already exists"
USERNAME_TAKEN = "Username already exists"
PASSWORD_RULE = "Password must be between 8 and 128 characters"  # noqa: S105 (a message)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class NewAccount(msgspec.Struct, kw_only=True):
    email: str
    password: str
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    avatar_image: str = ""


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput("value is not a valid email address", field="email")
    return email


def check_password(password: str) -> None:
    if not 8 <= len(password) <= 128:
        raise RuleBroken(PASSWORD_RULE, code="INVALID_PASSWORD")


class Accounts:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        hasher: PasswordHasher,
        tokens: TokenCodec,
        throttle: LoginThrottle,
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._hasher = hasher
        self._tokens = tokens
        self._throttle = throttle

    # -- registration -------------------------------------------------------------------
    def new_user(self, account: NewAccount) -> tuple[User, list[UniqueClaim]]:
        """Build (unsaved) a user and the claims that keep its email and username unique."""
        email = normalise_email(account.email)
        check_password(account.password)
        username = account.username.strip() or self._free_username(email)
        if not _USERNAME.match(username):
            raise InvalidInput(
                "username may use letters, digits, '.', '_' and '-' (1-64)", field="username"
            )
        # LearnHouse checks the username first.
        if self._identity.user_by_username(username) is not None:
            raise Conflict(USERNAME_TAKEN, code="USERNAME_TAKEN")
        if self._identity.user_by_email(email) is not None:
            raise Conflict(EMAIL_TAKEN, code="EMAIL_TAKEN")
        user = User(
            email=email,
            username=username,
            first_name=account.first_name,
            last_name=account.last_name,
            password_hash=self._hasher.hash(account.password),
            avatar_image=account.avatar_image,
        )
        claims = [
            self._claim("email", email, user.id, EMAIL_TAKEN),
            self._claim("username", username.lower(), user.id, USERNAME_TAKEN),
        ]
        return user, claims

    def _claim(self, kind: str, value: str, owner: UUID, taken: str) -> UniqueClaim:
        """A value given up earlier (a profile changed it, or its holder was erased) is taken
        over; its claim exists already, released."""
        existing = self._writer.events.get(claim_id(kind, value), UniqueClaim)
        if existing is None:
            return UniqueClaim(kind=kind, value=value, owner_id=owner)
        if existing.held:
            raise Conflict(taken, code=f"{kind.upper()}_TAKEN")
        existing.retake(owner_id=owner)
        return existing

    def save_new_user(self, user: User, claims: list[UniqueClaim], *others: object) -> int:
        from eventsourcing.persistence import IntegrityError

        try:
            return self._writer.save(user, *claims, *others, read_models=IDENTITY)  # type: ignore[arg-type]
        except IntegrityError:
            # Lost a race for the email or username claim.
            email = self._writer.events.get(claim_id("email", user.email), UniqueClaim)
            if email is not None and email.held and email.owner_id != user.id:
                raise Conflict(EMAIL_TAKEN, code="EMAIL_TAKEN") from None
            raise Conflict(USERNAME_TAKEN, code="USERNAME_TAKEN") from None

    def register(self, account: NewAccount) -> UserView:
        user, claims = self.new_user(account)
        self.save_new_user(user, claims)
        return self.user_view(user.id)

    def _free_username(self, email: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@", 1)[0])[:48] or "user"
        candidate = base
        while self._identity.user_by_username(candidate) is not None:
            candidate = f"{base}{secrets.randbelow(10**6)}"
        return candidate

    # -- sign-in ------------------------------------------------------------------------
    def authenticate(self, email: str, password: str, ip: str) -> UserView:
        """Verify a password. Unknown users and wrong passwords fail alike, in like time.

        A failure may be held back (about a second at most) while many addresses fail on the
        account; this blocks the calling thread for that long.
        """
        user, hold = self._attempt(email, password, ip)
        if user is None:
            time.sleep(hold)
            raise Unauthenticated(BAD_CREDENTIALS, code="INVALID_CREDENTIALS")
        return user

    async def authenticate_async(self, email: str, password: str, ip: str) -> UserView:
        """``authenticate`` for async handlers: the hash check runs in a thread, and a held-back
        failure waits on the event loop, so it ties up no thread."""
        user, hold = await asyncio.to_thread(self._attempt, email, password, ip)
        if user is None:
            await asyncio.sleep(hold)
            raise Unauthenticated(BAD_CREDENTIALS, code="INVALID_CREDENTIALS")
        return user

    def _attempt(self, email: str, password: str, ip: str) -> tuple[UserView | None, float]:
        """The user, or None and how long to hold the failed answer back."""
        account = email.strip().lower()
        self._throttle.check(account, ip)
        row = self._identity.user_by_email(account)
        if row is None:
            self._hasher.waste_time(password)
            return None, self._throttle.failed(account, ip)
        if not self._hasher.verify(row["password_hash"], password):
            return None, self._throttle.failed(account, ip)
        self._throttle.succeeded(account, ip)
        return user_view(row), 0.0

    def start_session(self, user: UserView, session_id: str | None = None) -> SessionTokens:
        """Tokens for a new session, or fresh ones for ``session_id`` (after a password change,
        for the session that made it)."""
        user_uuid = user.user_uuid.removeprefix("user_")
        row = self._identity.user_row(user_uuid)
        if row is None:
            raise NotFound("User not found")
        return self._tokens.issue(
            UUID(user_uuid), session_id or secrets.token_hex(16), str(row["password_hash"])
        )

    def _live(self, claims: TokenClaims | None) -> TokenClaims | None:
        """The claims of a session that is still live: not revoked, its user not erased, and
        started with the user's current password (a password change ends older sessions)."""
        if claims is None:
            return None
        password_hash = self._identity.live_session_password(str(claims.user_id), claims.session_id)
        if password_hash is None:
            return None
        if not hmac.compare_digest(
            claims.password_version, self._tokens.password_version(password_hash)
        ):
            return None
        return claims

    def principal_for(self, token: str, ip: str = "") -> Principal | None:
        """The user behind an access token, or None if it is invalid, expired or revoked."""
        claims = self._live(self._tokens.decode(token, "access"))
        if claims is None:
            return None
        return Principal(user_id=claims.user_id, session_id=claims.session_id, ip=ip)

    def refresh(self, refresh_token: str) -> tuple[str, int]:
        # Revoked sessions, erased users' sessions and sessions older than the password alike
        # mint nothing.
        claims = self._live(self._tokens.decode(refresh_token, "refresh"))
        if claims is None:
            raise Unauthenticated("Invalid credentials")
        return self._tokens.refresh_access(claims)

    def sign_out(self, principal: Principal) -> None:
        if principal.user_id is None or principal.session_id is None:
            raise Unauthenticated("Not authenticated")
        user_id, session_id = principal.user_id, principal.session_id

        def revoke() -> None:
            user = self._writer.events.get(user_id, User)
            if user is None:
                raise NotFound("User not found")
            if session_id not in user.revoked_sessions:
                user.revoke_session(session_id)
                self._writer.save(user, read_models=IDENTITY)

        self._writer.retrying(revoke)

    # -- profile ------------------------------------------------------------------------
    def user_view(self, user_id: UUID | str) -> UserView:
        row = self._identity.user_row(str(user_id))
        if row is None:
            raise NotFound("User not found")
        return user_view(row)
