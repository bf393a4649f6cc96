"""Fresh deliveries are handed from the publisher to this process's worker; none is lost or
held up when the worker has no room, and a stopping worker gives back what it did not send."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, delivery_rows, loopback_env, wait_until


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env)
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "60"  # nothing may rely on polling
    settings_env["LEARNSTREAM_WEBHOOKS_CONCURRENCY"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_PER_ENDPOINT"] = "1"


def _course_names(receiver: Receiver) -> list[str]:
    return [r.body["data"]["course"]["name"] for r in receiver.received]


def test_more_deliveries_than_the_worker_has_room_for_all_arrive_once(api: Any, container: Any) -> None:
    admin = api.admin()
    receiver = Receiver(delay=0.1)
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        names = [f"Busy {n}" for n in range(8)]
        for name in names:
            api.create_course(admin, name=name)

        receiver.wait_for(len(names), timeout=20)
        wait_until(
            lambda: all(r["status"] == "succeeded" for r in delivery_rows(container, hook["webhook_uuid"])),
            timeout=10, what="every delivery recorded",
        )
        time.sleep(0.3)  # a duplicate would arrive now
        assert sorted(_course_names(receiver)) == sorted(names)
        assert len({r.body["delivery_id"] for r in receiver.received}) == len(names)
    finally:
        receiver.close()


def test_a_stopped_workers_unsent_deliveries_go_out_at_once_from_the_next(api: Any, container: Any) -> None:
    admin = api.admin()
    receiver = Receiver(delay=1.5)  # the first send is still in flight when the worker stops
    try:
        create_hook(api, admin, receiver.url, ["course_created"])
        for n in range(3):
            api.create_course(admin, name=f"Queued {n}")
        receiver.wait_for(1, timeout=10)

        container.stop_webhook_worker()
        container.start_webhook_worker()

        # The two never started are due at once (not after the 30 s lease); the one cut off
        # mid-send may arrive again, later, under the same delivery id.
        receiver.wait_for(3, timeout=20)  # well within the lease, which is what is ruled out
        assert sorted(set(_course_names(receiver))) == ["Queued 0", "Queued 1", "Queued 2"]
    finally:
        receiver.close()


def test_an_endpoint_deleted_in_the_same_batch_gets_nothing_handed_over(api: Any, container: Any) -> None:
    import uuid

    from domain.courses import Course
    from domain.webhooks import WebhookEndpoint

    admin = api.admin()
    receiver = Receiver()
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        endpoint_id = uuid.UUID(hook["webhook_uuid"].removeprefix("webhook_"))
        endpoint = container.events.get(endpoint_id, WebhookEndpoint)
        org_uuid = container.orgs.org_uuid_by_slug("default")
        author = uuid.UUID(container.identity.user_by_email("admin@example.com")["user_uuid"])
        course = Course(
            org_id=uuid.UUID(org_uuid), author_id=author, name="Same batch", description="d",
            about="a", learnings="", tags="", public=True, published=False, thumbnail_image="",
        )
        endpoint.delete()
        position = container.events.save(course, endpoint)  # one append: one batch
        container.board.wait(position, ["webhook_publisher"], 10)

        time.sleep(0.5)  # a handed-over delivery would have arrived by now
        assert receiver.received == []
        assert [r["status"] for r in delivery_rows(container, hook["webhook_uuid"])] == ["cancelled"]
    finally:
        receiver.close()
