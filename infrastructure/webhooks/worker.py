"""The delivery worker: sends due outbox deliveries concurrently from one asyncio loop.

One thread runs an event loop with a shared HTTP client. Each delivery is its own task, at
most ``per_endpoint`` in flight per endpoint and ``concurrency`` overall, so one slow or dead
endpoint only ever holds its own few slots; leased deliveries over a quota wait here, per
endpoint, for a slot. Results are recorded in batches (one transaction per loop turn).

Deliveries reach the worker two ways. The publisher of this process hands over the ones it
just queued, already leased to this worker, when its batch commits (no claim query between an
event and its receiver). Everything else (retries, redeliveries, a publisher in another
process, a backlog this worker declined) is claimed from the outbox when the worker wakes: a
send finished, the publisher queued unhanded work, its position moved (publisher in another
process), or every ``poll_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime

from domain.webhooks import secret_context
from infrastructure.event_store import EventStore
from infrastructure.metrics import count_deliveries
from infrastructure.secret_box import SecretBox
from infrastructure.webhooks.outbox import Claimed, Outbox
from infrastructure.webhooks.sender import SendResult, WebhookSender
from projections.engine.positions import PositionBoard
from projections.webhook_deliveries import FreshDelivery

log = logging.getLogger("learnstream.webhooks")

Clock = Callable[[], float]


class _FreshInbox:
    """Where this process's publisher hands fresh deliveries (from its follower thread)."""

    def __init__(self, worker: DeliveryWorker) -> None:
        self.worker = worker
        self._lock = threading.Lock()
        self._items: list[FreshDelivery] = []
        self._closed = False

    def lease_until_ms(self, pending: int) -> int | None:
        w = self.worker
        queued = w._waiting_count + len(self._items) + pending
        if self._closed or w._stop.is_set() or queued >= w.concurrency * 2:
            return None  # left due in the outbox: claimed when there is room
        return w.now_ms() + w.lease_ms

    def take(self, deliveries: list[FreshDelivery]) -> None:
        with self._lock:
            closed = self._closed
            if not closed:
                first = not self._items
                self._items.extend(deliveries)
        if closed:  # leased to a worker that has stopped: due again now
            self.worker.outbox.release([d.delivery_id for d in deliveries])
            return
        loop = self.worker._loop
        if first and loop is not None:
            with contextlib.suppress(RuntimeError):  # closing: close() collects them
                loop.call_soon_threadsafe(self.worker._take_fresh)

    def drain(self) -> list[FreshDelivery]:
        with self._lock:
            items, self._items = self._items, []
        return items

    def close(self) -> list[FreshDelivery]:
        with self._lock:
            self._closed = True
            items, self._items = self._items, []
        return items


class DeliveryWorker:
    def __init__(
        self,
        outbox: Outbox,
        events: EventStore,
        box: SecretBox,
        *,
        timeout: float = 10.0,
        allow_private: bool = False,
        concurrency: int = 128,
        per_endpoint: int = 8,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        retention_days: float = 30.0,
        clock: Clock = time.time,
        on_disable: Callable[[str, str], None] | None = None,
        board: PositionBoard | None = None,
    ) -> None:
        self.outbox = outbox
        self.events = events
        self.box = box
        self.timeout = timeout
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        self.retention_ms = int(retention_days * 86_400_000)
        self.clock = clock
        self.on_disable = on_disable
        self.board = board
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._waker: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._inflight: Counter[str] = Counter()
        # Leased deliveries waiting for a slot, per endpoint: (lease end in ms, delivery).
        self._waiting: dict[str, deque[tuple[int, Claimed]]] = {}
        self._waiting_count = 0
        self._fresh = _FreshInbox(self)
        self._sender: WebhookSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._done: list[tuple[Claimed, SendResult]] = []
        self._secrets: dict[tuple[str, str], str] = {}
        self._replays_due = True  # look once at start, then when one is requested
        self._replays_checked = 0.0
        self.sent = 0

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name="webhooks", daemon=True)
        self._thread.start()
        ready.wait(5)
        self.outbox.publisher.hand_fresh_to(self._fresh)
        self.outbox.on_work(self.wake)
        self.outbox.publisher.on_replay(self._replay_requested)
        if self.board is not None:
            self._waker = threading.Thread(target=self._follow_board, name="webhooks-waker", daemon=True)
            self._waker.start()

    def stop(self) -> None:
        self.outbox.publisher.hand_fresh_to(None)
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._waker is not None:
            self._waker.join(timeout=5)

    def _replay_requested(self) -> None:
        self._replays_due = True
        self.wake()

    def wake(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def _follow_board(self) -> None:
        board = self.board
        assert board is not None
        name = self.outbox.publisher.name
        seen = board.position(name)
        while not self._stop.is_set():
            if board.changed_at(name) is not None:
                # Followed here: the publisher says when it queued work (``on_work``); waking
                # for every batch would cost two queries per batch for nothing.
                self._stop.wait(1.0)
                seen = board.position(name)
                continue
            if board.wait(seen + 1, [name], timeout=1.0):
                seen = board.position(name)
                self.wake()

    def _main(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._wake = asyncio.Event()
        ready.set()
        try:
            loop.run_until_complete(self._run())
        except Exception:
            log.exception("webhook worker crashed")
        finally:
            loop.close()

    # -- the loop ---------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        sender = WebhookSender(self.timeout, self.allow_private, max_connections=self.concurrency * 2)
        self._sender = sender
        tasks = self._tasks
        last_prune = 0.0
        try:
            while not self._stop.is_set():
                self._wake.clear()
                busy = await self._turn()
                if time.monotonic() - last_prune > 60:
                    last_prune = time.monotonic()
                    await asyncio.to_thread(self.outbox.prune, self.now_ms() - self.retention_ms)
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await sender.aclose()
            self._sender = None
            if self._done:  # unrecorded sends would otherwise go out again after the lease
                await self._record(self._done)
            waiting = [item.delivery_id for queue in self._waiting.values() for _, item in queue]
            waiting += [d.delivery_id for d in self._fresh.close()]
            self._waiting, self._waiting_count = {}, 0
            with contextlib.suppress(Exception):  # otherwise due again when their lease ends
                await asyncio.to_thread(self.outbox.release, waiting)

    async def _turn(self) -> bool:
        busy = False
        try:
            if self._done:
                done, self._done = self._done, []
                await self._record(done)
                busy = True
            free = self.concurrency - sum(self._inflight.values()) - self._waiting_count
            if free > 0:
                now = self.now_ms()
                held = Counter(self._inflight)  # in flight or waiting here count against quotas
                for endpoint, queue in self._waiting.items():
                    held[endpoint] += len(queue)
                claimed = await asyncio.to_thread(
                    self.outbox.claim, now, free, held, self.per_endpoint, self.lease_ms,
                )
                self._queue([(now + self.lease_ms, item) for item in claimed])
                busy = busy or len(claimed) >= free
            # Replays are rare: look when one was requested here, or (one requested in another
            # process) every poll interval, not on every turn.
            if self._replays_due or time.monotonic() - self._replays_checked >= self.poll_seconds:
                self._replays_due = False
                self._replays_checked = time.monotonic()
                if await asyncio.to_thread(self.outbox.replay_step, self.events):
                    self._replays_due = busy = True
        except Exception:
            log.exception("webhook worker turn failed")
            await asyncio.sleep(0.5)
        return busy

    def _take_fresh(self) -> None:
        self._queue([(d.lease_until_ms, Claimed.fresh(d)) for d in self._fresh.drain()])

    def _queue(self, leased: list[tuple[int, Claimed]]) -> None:
        for lease_end, item in leased:
            self._waiting.setdefault(item.endpoint_uuid, deque()).append((lease_end, item))
        self._waiting_count += len(leased)
        self._start_waiting()

    def _start_waiting(self) -> None:
        """Start waiting deliveries while their endpoint and the worker have free slots."""
        sender = self._sender
        if not self._waiting_count or sender is None:
            return
        now = self.now_ms()
        free = self.concurrency - sum(self._inflight.values())
        for endpoint in list(self._waiting):
            if free <= 0:
                break
            queue = self._waiting[endpoint]
            while queue and free > 0 and self._inflight[endpoint] < self.per_endpoint:
                lease_end, item = queue.popleft()
                self._waiting_count -= 1
                if lease_end - now < self.lease_ms // 10:
                    continue  # its lease is (nearly) over: another worker may claim it now
                self._inflight[endpoint] += 1
                free -= 1
                task = asyncio.create_task(self._send(sender, item))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if not queue:
                del self._waiting[endpoint]

    async def _send(self, sender: WebhookSender, item: Claimed) -> None:
        try:
            result = await sender.send(
                item.url, self._signing_secrets(item), item.event_name, item.delivery_id,
                item.payload.encode(),
            )
        except Exception as error:  # never lose the slot
            result = SendResult(False, None, "", f"{type(error).__name__}: {error}"[:500], 0)
        finally:
            self._inflight[item.endpoint_uuid] -= 1
            if self._inflight[item.endpoint_uuid] <= 0:
                del self._inflight[item.endpoint_uuid]
        self.sent += 1
        self._done.append((item, result))
        assert self._wake is not None
        self._wake.set()
        self._start_waiting()

    def _signing_secrets(self, item: Claimed) -> list[str]:
        context = secret_context(item.org_uuid)
        out = [self._open(item.secret, context)]
        if item.previous_secret and item.previous_valid_until:
            until = datetime.fromisoformat(item.previous_valid_until.replace("Z", "+00:00"))
            if until > datetime.fromtimestamp(self.clock(), UTC):
                out.append(self._open(item.previous_secret, context))
        return out

    def _open(self, ciphertext: str, context: str) -> str:
        key = (ciphertext, context)
        if key not in self._secrets:
            self._secrets[key] = self.box.open(ciphertext, context)
        return self._secrets[key]

    async def _record(self, done: list[tuple[Claimed, SendResult]]) -> None:
        to_disable = await asyncio.to_thread(self.outbox.record, done, self.now_ms())
        last = len(self.outbox.schedule)  # retries scheduled; a failure after the last is final
        count_deliveries(
            "succeeded" if result.ok else "failed" if claimed.attempts >= last else "retrying"
            for claimed, result in done
        )
        for endpoint_uuid, since_ms in to_disable:
            since = datetime.fromtimestamp(since_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
            try:
                if self.on_disable is not None:
                    await asyncio.to_thread(self.on_disable, endpoint_uuid, since)
            except Exception:
                log.exception("disabling webhook endpoint %s failed", endpoint_uuid)
                await asyncio.to_thread(self.outbox.forget_disable_request, endpoint_uuid)
