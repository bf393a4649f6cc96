"""The composition root: one typed container of every store, projection and service.

``Container.build(settings)`` is the only place that constructs the object graph; routes get
services by name through Litestar's dependency injection (``api.dependencies``), the CLI and
tests read the same typed attributes. Nothing reads the environment here: settings come in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from api.stores import build_projections, build_stores
from api.wiring import Services, build_services
from application.accounts import NewAccount
from application.organizations import OrgCreate
from domain.errors import Conflict
from domain.rights import ADMIN_ROLE
from infrastructure.generation_worker import GenerationWorker
from infrastructure.settings import PostgresDsn, Settings
from infrastructure.webhooks.worker import DeliveryWorker
from projections.engine.follower_loop import FollowerLoop
from projections.engine.followers import Follower
from projections.engine.startup import catch_up

if TYPE_CHECKING:
    from infrastructure.advisory_lock import AdvisoryLockSession
    from infrastructure.generation_process import GenerationProcess
    from infrastructure.pg_listener import PostgresListener

log = logging.getLogger("learnstream")


@dataclass
class Container(Services):
    """Every service of ``Services`` plus the running parts (followers, workers) and their
    shutdown order."""

    loop: FollowerLoop | None = None
    webhook_worker: DeliveryWorker | None = None
    generation_worker: GenerationWorker | None = None
    generation_process: GenerationProcess | None = None
    _wakeups: PostgresListener | None = None
    _positions_in: PostgresListener | None = None
    _lock_session: AdvisoryLockSession | None = None

    @classmethod
    def build(cls, settings: Settings) -> Container:
        stores = build_stores(settings)
        services = build_services(settings, stores, build_projections(stores.read_store, stores.events))
        return cls(**vars(services))

    # -- followers ----------------------------------------------------------------------
    def followers(self) -> list[Follower]:
        return [Follower(p, self.events, self.board) for p in self.projections.values()]

    def start_followers(self, generation_in_child: bool = False) -> None:
        """Followers, webhook delivery and the generation worker; ``generation_in_child`` runs
        that worker in a process of its own (``serve``: the API keeps its core)."""
        lock_for = None
        if self.settings.uses_postgres:
            from infrastructure.advisory_lock import AdvisoryLockSession
            from infrastructure.pg_listener import PostgresListener, appended_head

            dsn = PostgresDsn.parse(self.settings.database_url)
            locks = self._lock_session = AdvisoryLockSession(dsn.conninfo())
            lock_for = lambda name: locks.lock(f"{dsn.schema}:{name}")  # noqa: E731
            self.share_positions(tell=True, hear=False)
        self.loop = FollowerLoop(self.followers(), self.events, lock_for=lock_for)
        self.loop.start()
        if self.settings.uses_postgres and self.events.channel_name:
            dsn = PostgresDsn.parse(self.settings.database_url)
            wake = self.loop.wake
            self._wakeups = PostgresListener(
                dsn.conninfo(), self.events.channel_name, lambda payload: wake(appended_head(payload))
            )
            self._wakeups.start()
        self.start_webhook_worker()
        if generation_in_child:
            self.start_generation_process()
        else:
            self.start_generation_worker()

    def share_positions(self, tell: bool, hear: bool = True) -> None:
        """PostgreSQL: (``tell``) have our followers' commits tell the positions they reach,
        and (``hear``) hear those of other processes, so a read-your-writes wait on another
        process's projection is woken, not polled (``infrastructure/pg_positions.py``). A
        process with followers does not listen: it follows every projection unless another
        worker holds one, and would spend its CPU hearing its own commits."""
        from infrastructure.pg_listener import PostgresListener
        from infrastructure.pg_positions import decode_positions, positions_channel

        dsn = PostgresDsn.parse(self.settings.database_url)
        channel = positions_channel(dsn.schema)
        if tell:
            self.board.tell_others(channel)
        if hear and self._positions_in is None:
            board = self.board
            self._positions_in = PostgresListener(
                dsn.conninfo(), channel, lambda payload: board.heard(decode_positions(payload)), board.listening
            )
            self._positions_in.start()

    def start_webhook_worker(self) -> DeliveryWorker | None:
        """The embedded/worker default: one in-process delivery worker beside the followers."""
        from api.wiring import build_webhook_worker

        if not self.settings.webhooks_worker or self.webhook_worker is not None:
            return None
        worker = self.webhook_worker = build_webhook_worker(self)
        worker.start()
        return worker

    def start_generation_worker(self) -> GenerationWorker | None:
        """The embedded/worker default: one generation worker (asyncio tasks in a thread)
        beside the followers."""
        from api.wiring.generation import build_generation_worker

        if not self.settings.generation_worker or self.generation_worker is not None:
            return None
        worker = self.generation_worker = build_generation_worker(self)
        worker.start()
        return worker

    def start_generation_process(self) -> GenerationProcess | None:
        """The generation worker in a child process, started once there is work, told of
        queued and cancelled jobs by this process's jobs projection; its appends wake this
        process's followers."""
        from infrastructure.generation_process import GenerationProcess

        if not self.settings.generation_worker or self.generation_process is not None:
            return None
        loop, queue = self.loop, self.generation_queue
        child = self.generation_process = GenerationProcess(
            loop.wake if loop is not None else lambda head: None,
            has_work=lambda: queue.next_due_ms() is not None,
            poll_seconds=self.settings.generation_poll_seconds,
        )
        projection = self.read_models.generation_jobs
        projection.on_queued(child.wake)
        projection.on_cancelled(child.cancelled)
        child.start()
        return child

    def stop_generation_worker(self) -> None:
        if self.generation_worker is not None:
            self.generation_worker.stop()
            self.generation_worker = None
        if self.generation_process is not None:
            self.generation_process.stop()
            self.generation_process = None

    def stop_webhook_worker(self) -> None:
        if self.webhook_worker is not None:
            self.webhook_worker.stop()
            self.webhook_worker = None

    def catch_up(self) -> None:
        """Bring every read model up to date in the calling thread (CLI, tests); one with
        nothing it could serve from is built first, in bulk (``projections.engine.startup``).

        Positions are not published to the board: this process follows a projection only
        once its follower loop holds it, and until then (on PostgreSQL, a projection
        another process holds) read-your-writes waits must read the tracking table, not
        the position this catch-up left behind."""
        catch_up(list(self.projections.values()), self.events)

    # -- first start --------------------------------------------------------------------
    def bootstrap(self) -> str | None:
        """On an empty store, create org ``default`` (id 1) and its admin.

        Returns the generated password when none was configured (to print once).
        """
        if self.events.last_position() > 0:
            return None
        email = self.settings.admin_email or "admin@learnstream.local"
        password = self.settings.admin_password or secrets.token_urlsafe(12)
        try:
            self.orgs.found(OrgCreate(name="Default", slug="default", email=email), admin_id=None)
        except Conflict:
            # Another process that started on the same empty store (a second API replica)
            # founded it first: the first start, and its admin, are that process's.
            return None
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
        self.orgs.join(org_uuid, UUID(user_uuid), ADMIN_ROLE)

    def close(self) -> None:
        self.stop_generation_worker()
        self.stop_webhook_worker()
        for close in self.closers:
            close()
        if self._wakeups is not None:
            self._wakeups.stop()
        if self._positions_in is not None:
            self._positions_in.stop()
        if self.loop is not None:
            self.loop.stop()
        if self._lock_session is not None:
            self._lock_session.close()
        self.events.close()
        self.read_store.close()
