"""History as a product: the audit export, analytics queries and time travel, built on the audit
chain and course analytics read models (``ReadModels``) and the stores the rest of the app uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification

from application.audit_export import AuditExport
from application.audit_records import Entry
from application.authorization import Authorization
from application.course_analytics import CourseAnalytics
from application.organizations import Organizations
from application.time_travel import TimeTravel
from infrastructure.log_reader import LogReader
from projections.queries.audit import AuditQueries
from projections.queries.catalog import CatalogQueries
from projections.queries.course_analytics import CourseAnalyticsQueries

if TYPE_CHECKING:
    from api.stores import ReadModels, Stores


@dataclass
class HistoryServices:
    audit_export: AuditExport
    course_analytics: CourseAnalytics
    time_travel: TimeTravel
    log_reader: LogReader

    def close(self) -> None:
        self.log_reader.close()


def build_history(
    stores: Stores, models: ReadModels, authz: Authorization, orgs: Organizations, catalog: CatalogQueries
) -> HistoryServices:
    settings, events = stores.settings, stores.events
    reader = LogReader.for_store(settings, events)
    chain, analytics = models.audit_chain, models.course_analytics
    export = AuditExport(
        AuditQueries(chain), reader, authz, orgs.org_uuid, stores.board,
        events.last_position, settings.read_your_writes_timeout,
    )

    def decode(entry: Entry) -> Any:
        return events.decode(Notification(
            id=entry.position, originator_id=UUID(entry.originator_id),
            originator_version=entry.originator_version, topic=entry.topic, state=entry.state,
        ))

    def course_author(course_uuid: str) -> str | None:
        row = catalog.course_row(course_uuid)
        return None if row is None else str(row["author_uuid"])

    def org_number(org_uuid: str) -> int:
        return int(orgs.get(org_uuid).id)

    return HistoryServices(
        audit_export=export,
        course_analytics=CourseAnalytics(
            CourseAnalyticsQueries(analytics), catalog.course_row, orgs.org_uuid, authz,
        ),
        time_travel=TimeTravel(
            reader, decode, authz, course_author,
            lambda row: catalog.views([row])[0], org_number,
        ),
        log_reader=reader,
    )
