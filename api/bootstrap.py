"""The composition root: builds stores, projections, followers and services from settings."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from api.content_wiring import content_projections, install_content
from api.webhook_wiring import install_webhooks, start_webhook_worker, webhook_projections
from application.accounts import Accounts, NewAccount
from application.authorization import Authorization
from application.catalog import Catalog
from application.organizations import Organizations, OrgCreate
from application.writer import Writer
from domain.rights import ADMIN_ROLE
from infrastructure.event_store import EventStore, ensure_schema
from infrastructure.file_storage import LocalFileStorage
from infrastructure.login_throttle import MemoryLoginThrottle
from infrastructure.passwords import Argon2idHasher
from infrastructure.read_store import PostgresReadStore, ReadStore, SqliteReadStore
from infrastructure.session_tokens import JwtCodec, load_or_create_secret
from infrastructure.settings import PostgresDsn, Settings
from projections.api_tokens import ApiTokenProjection
from projections.catalog import CatalogProjection
from projections.engine.followers import Follower, FollowerLoop
from projections.engine.framework import Projection, ensure_tracking
from projections.engine.positions import PositionBoard
from projections.engine.read_cache import ReadCache
from projections.identity import IdentityProjection
from projections.queries.catalog import CatalogQueries
from projections.queries.identity import IdentityQueries

log = logging.getLogger("learnstream")


def build_projections(store: ReadStore) -> dict[str, Projection]:
    """Every read model, by name. Later issues add theirs here."""
    projections: list[Projection] = [IdentityProjection(store), CatalogProjection(store)]
    projections.append(ApiTokenProjection(store))
    projections.extend(content_projections(store))
    projections.extend(webhook_projections(store))
    return {p.name: p for p in projections}


@dataclass
class Container:
    settings: Settings
    events: EventStore
    read_store: ReadStore
    projections: dict[str, Projection]
    board: PositionBoard
    writer: Writer
    identity: IdentityQueries
    authz: Authorization
    accounts: Accounts
    orgs: Organizations
    catalog: Catalog
    files: LocalFileStorage
    loop: FollowerLoop | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    _wakeups: Any = None
    _lock_session: Any = None

    @classmethod
    def build(cls, settings: Settings) -> Container:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        read_store: ReadStore
        if settings.uses_postgres:
            dsn = PostgresDsn.parse(settings.database_url)
            ensure_schema(dsn)
            read_store = PostgresReadStore(dsn.conninfo(), dsn.schema)
        else:
            read_store = SqliteReadStore(settings.data_dir / "read_models.sqlite3")
        events = EventStore(settings)
        ensure_tracking(read_store)
        projections = build_projections(read_store)
        board = PositionBoard(read_store)
        writer = Writer(events, board, settings.read_your_writes_timeout)
        identity = IdentityQueries(projections["identity"], ReadCache(board))  # type: ignore[arg-type]
        authz = Authorization(identity)
        secret = settings.jwt_secret or load_or_create_secret(settings.data_dir)
        accounts = Accounts(
            writer,
            identity,
            Argon2idHasher(**_argon_profile(settings)),
            JwtCodec(secret, settings.access_token_minutes, settings.refresh_token_days),
            _login_throttle(settings),
        )
        orgs = Organizations(writer, identity, authz, accounts)
        files = LocalFileStorage(settings.data_dir / "files")
        catalog = Catalog(
            writer,
            CatalogQueries(projections["catalog"], identity),  # type: ignore[arg-type]
            authz,
            orgs,
            files,
            settings.page_limit_max,
        )
        container = cls(
            settings=settings,
            events=events,
            read_store=read_store,
            projections=projections,
            board=board,
            writer=writer,
            identity=identity,
            authz=authz,
            accounts=accounts,
            orgs=orgs,
            catalog=catalog,
            files=files,
        )
        _install_api_tokens(container)
        install_content(container)
        install_webhooks(container)
        return container

    # -- followers ----------------------------------------------------------------------
    def followers(self) -> list[Follower]:
        return [Follower(p, self.events, self.board) for p in self.projections.values()]

    def start_followers(self) -> None:
        lock_for = None
        if self.settings.uses_postgres:
            from infrastructure.advisory_lock import AdvisoryLockSession
            from infrastructure.pg_wakeups import PostgresWakeups

            dsn = PostgresDsn.parse(self.settings.database_url)
            locks = self._lock_session = AdvisoryLockSession(dsn.conninfo())
            lock_for = lambda name: locks.lock(f"{dsn.schema}:{name}")  # noqa: E731
        self.loop = FollowerLoop(self.followers(), self.events, lock_for=lock_for)
        self.loop.start()
        if self.settings.uses_postgres and self.events.channel_name:
            dsn = PostgresDsn.parse(self.settings.database_url)
            self._wakeups = PostgresWakeups(dsn.conninfo(), self.events.channel_name, self.loop.wake)
            self._wakeups.start()
        start_webhook_worker(self)

    def catch_up(self) -> None:
        """Bring every read model up to date in the calling thread (CLI, tests)."""
        for follower in self.followers():
            follower.start()
            follower.catch_up()
            follower.flush()

    # -- first start --------------------------------------------------------------------
    def bootstrap(self) -> str | None:
        """On an empty store, create org ``default`` (id 1) and its admin.

        Returns the generated password when none was configured (to print once).
        """
        if self.events.last_position() > 0:
            return None
        email = self.settings.admin_email or "admin@learnstream.local"
        password = self.settings.admin_password or secrets.token_urlsafe(12)
        self.orgs.found(OrgCreate(name="Default", slug="default", email=email), admin_id=None)
        self.create_admin(email, password)
        return None if self.settings.admin_password else password

    def create_admin(self, email: str, password: str, org_slug: str = "default") -> None:
        org_uuid = self.orgs.org_uuid_by_slug(org_slug)
        row = self.identity.user_by_email(email.strip().lower())
        if row is None:
            user = self.accounts.register(NewAccount(email=email, password=password))
            user_uuid = user.user_uuid.removeprefix("user_")
        else:
            user_uuid = row["user_uuid"]
        from uuid import UUID

        self.orgs.join(org_uuid, UUID(user_uuid), ADMIN_ROLE)

    def close(self) -> None:
        for close_extra in self.extras.get("on_close", []):
            close_extra()
        if self._wakeups is not None:
            self._wakeups.stop()
        if self.loop is not None:
            self.loop.stop()
        if self._lock_session is not None:
            self._lock_session.close()
        self.events.close()
        self.read_store.close()


def _login_throttle(settings: Settings) -> Any:
    """Shared by every API process through Redis when it is configured."""
    if settings.redis_url:
        from infrastructure.redis_login_throttle import RedisLoginThrottle

        return RedisLoginThrottle(
            settings.redis_url, settings.redis_prefix,
            settings.login_max_failures, settings.login_lockout_seconds,
        )
    return MemoryLoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)


def _install_api_tokens(container: Container) -> None:
    """API tokens (the ``lh_`` resolver used by api.security) and the rate limiter."""
    from application.api_tokens import ApiTokens, UsageCoalescer
    from infrastructure.rate_limit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
    from infrastructure.token_hashing import TokenHasher
    from projections.queries.api_tokens import ApiTokenQueries, TokenUsage

    settings = container.settings
    usage = TokenUsage(container.read_store)
    coalescer = UsageCoalescer(usage, settings.api_token_usage_flush_seconds)
    container.extras["api_tokens"] = ApiTokens(
        container.writer,
        ApiTokenQueries(container.projections["api_tokens"], container.identity.memberships),  # type: ignore[arg-type]
        usage,
        coalescer,
        TokenHasher.from_settings(settings.api_token_key, settings.data_dir),
        container.authz,
        container.orgs,
        container.identity,
    )
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, settings.redis_prefix + "rl:")
        if settings.redis_url
        else MemoryRateLimiter()
    )
    container.extras["rate_limiter"] = limiter
    container.extras.setdefault("on_close", []).extend([coalescer.close, limiter.close])


def _argon_profile(settings: Settings) -> dict[str, int]:
    # Tests may ask for a light (still argon2id) profile to keep the suite fast.
    if settings.argon2_profile == "test":
        return {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}
    return {}
