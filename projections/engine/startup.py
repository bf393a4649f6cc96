"""Bringing read models up to date before a process serves (``learnstream serve``, the CLI).

A read model with no version it could serve from (new to an existing log, or a version bump
that changed its tables) is built first, in bulk, beside whatever is live; a version bump
that kept its tables serves the older version's rows at once (its rebuild then runs in the
follower loop, beside the live followers); the others catch up from where they stand.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from infrastructure.event_store import EventStore
from projections.engine.followers import Follower
from projections.engine.framework import Projection
from projections.engine.rebuild import LoggedProgress, Rebuild
from projections.engine.rebuild_state import BUILD, FOLLOWER, RebuildTakenOver, is_live, settle

log = logging.getLogger("learnstream.rebuild")

#: log entries per batch when catching up: bulk writes pay off from the first thousand
CATCH_UP_BATCH = 2_000


def catch_up(projections: Sequence[Projection], events: EventStore) -> None:
    head = events.last_position()
    due = [p for p in projections if settle(p, head) == BUILD]
    if due:
        names = ", ".join(f"{p.name} v{p.version}" for p in due)
        log.info("building %s from the log before serving", names)
        try:
            Rebuild(events, due, kind=FOLLOWER, progress=LoggedProgress(names)).run()
        except RebuildTakenOver:  # another process is building them: wait for its switch
            while not all(is_live(p) for p in due):
                time.sleep(1.0)
    for projection in projections:
        follower = Follower(projection, events, batch_size=CATCH_UP_BATCH)
        follower.start()
        follower.catch_up()
        follower.flush()
