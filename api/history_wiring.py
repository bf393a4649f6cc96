"""History as a product: the audit chain and the analytics read models, the audit export,
analytics queries and time travel, built from the stores the rest of the app uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from application.audit_export import AuditExport
from application.authorization import Authorization
from application.organizations import Organizations
from infrastructure.log_reader import LogReader
from projections.audit_chain import AuditChainProjection
from projections.engine.framework import Projection
from projections.queries.audit import AuditQueries

if TYPE_CHECKING:
    from api.wiring import Stores


@dataclass
class HistoryServices:
    projections: dict[str, Projection]
    audit_export: AuditExport
    log_reader: LogReader

    def services(self) -> dict[str, Any]:
        """The container attributes handlers receive by name."""
        return {"audit_export": self.audit_export}

    def close(self) -> None:
        self.log_reader.close()


def build_history(stores: Stores, authz: Authorization, orgs: Organizations) -> HistoryServices:
    settings = stores.settings
    reader = LogReader.for_store(settings, stores.events)
    chain = AuditChainProjection(stores.read_store, stores.events)
    export = AuditExport(
        AuditQueries(chain), reader, authz, orgs.org_uuid, stores.board,
        stores.events.last_position, settings.read_your_writes_timeout,
    )
    return HistoryServices(
        projections={chain.name: chain},
        audit_export=export,
        log_reader=reader,
    )
