"""Time travel: an aggregate's events, or its state at a past moment (``as_of``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from api.params import Limit, Page
from api.schemas import errors
from application.authorization import Principal
from application.paging import page_of
from application.time_travel import History, PastState, TimeTravel

# Stated so that a client (or a generator of test data) knows what parses; ASCII digits only,
# as a regex's \d would also take other scripts' digits, which no date parser reads.
AS_OF_PATTERN = (
    r"^([0-9]{1,18}|[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?)$"
)
AsOf = Annotated[
    str | None,
    Parameter(
        description="A log position (digits) or an ISO-8601 date or time: the state after "
        "every event at or before it, rebuilt from the log",
        pattern=AS_OF_PATTERN,
    ),
]


class HistoryController(Controller):
    path = "/api/v1/history"
    tags = ["history"]

    @get(
        "/{aggregate_uuid:str}",
        operation_id="get_history",
        summary="The events of a course, chapter, activity, collection, enrollment, "
        "membership, ... (who, when, what); with as_of, its state at that moment",
        responses={
            200: ResponseSpec(
                History | PastState, generate_examples=False,  # type: ignore[arg-type]
                description="The events (History), or with as_of the state then (PastState)",
            ),
            **errors(401, 403, 404, 422),
        },
        sync_to_thread=True,
    )
    def read(
        self, time_travel: TimeTravel, principal: Principal, aggregate_uuid: str,
        as_of: AsOf = None, page: Page = 1, limit: Limit = 100,
    ) -> Any:
        if as_of is not None:
            return time_travel.state_as_of(principal, aggregate_uuid, as_of)
        window = page_of(page, limit, 1000)
        return time_travel.history(principal, aggregate_uuid, window.number, window.limit)
