"""Users' own model API keys, sealed (AES-GCM, ``SecretBox``) in a table outside the event log.

The log records only that a key was stored and its masked preview (``domain.model_keys``);
deleting the row deletes the key for good. The sealed value is bound to its user, so a row
copied to another user does not open.
"""

from __future__ import annotations

import time

from infrastructure.read_store import ReadStore
from infrastructure.secret_box import SecretBox

TABLE = "model_keys"


class SealedModelKeys:
    def __init__(self, store: ReadStore, box: SecretBox) -> None:
        self._db = store
        self._box = box
        with store.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (user_uuid TEXT PRIMARY KEY,"
                " sealed TEXT NOT NULL, preview TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )

    def put(self, user_uuid: str, api_key: str, preview: str) -> None:
        sealed = self._box.seal(api_key, _context(user_uuid))
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {TABLE} (user_uuid, sealed, preview, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_uuid) DO UPDATE SET sealed = excluded.sealed,"
                " preview = excluded.preview, updated_at = excluded.updated_at",
                (user_uuid, sealed, preview, now_iso()),
            )

    def get(self, user_uuid: str) -> str | None:
        row = self._db.fetchone(f"SELECT sealed FROM {TABLE} WHERE user_uuid = ?", (user_uuid,))
        return None if row is None else self._box.open(row["sealed"], _context(user_uuid))

    def preview(self, user_uuid: str) -> str | None:
        row = self._db.fetchone(f"SELECT preview FROM {TABLE} WHERE user_uuid = ?", (user_uuid,))
        return None if row is None else str(row["preview"])

    def delete(self, user_uuid: str) -> bool:
        with self._db.transaction() as tx:
            return tx.execute_counted(f"DELETE FROM {TABLE} WHERE user_uuid = ?", (user_uuid,)) > 0


def _context(user_uuid: str) -> str:
    return f"model-key:{user_uuid}"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
