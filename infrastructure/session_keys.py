"""Per-session data keys for assessment answers, kept OUTSIDE the event log.

Each session gets a random 256-bit key, stored sealed by the ``SecretBox`` master key in its own
table. Answers (and the evaluator's evidence, which may quote them) are sealed with it before
they reach an event or a checkpoint. Destroying the row makes them unreadable for good while
the log stays intact (crypto-shredding). An API process keeps the key of a session it
serves for at most five minutes between turns (``application.assessment_cache``); a deletion
in that process drops it at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infrastructure.read_store import ReadStore
from infrastructure.secret_box import SecretBox

TABLE = "assessment_session_keys"
_PREFIX = "k1:"


class SessionCipher:
    """Seals text for one session; ``context`` binds a ciphertext to its place (question
    number and purpose), so a ciphertext moved elsewhere does not open."""

    def __init__(self, session_id: str, key: bytes) -> None:
        self._session = session_id
        self._aead = AESGCM(key)
        self._mac_key = hashlib.sha256(b"digest:" + key).digest()

    def seal(self, context: str, text: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, text.encode(), f"{self._session}:{context}".encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, context: str, sealed: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise ValueError("unknown ciphertext format")
        raw = base64.b64decode(sealed[len(_PREFIX):])
        aad = f"{self._session}:{context}".encode()
        return self._aead.decrypt(raw[:12], raw[12:], aad).decode()

    def digest(self, text: str) -> str:
        """A keyed fingerprint of an answer (whitespace-insensitive): equal answers match,
        and without the key nothing can be learned from it."""
        normal = " ".join(text.split()).encode()
        return hmac.new(self._mac_key, normal, hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"SessionCipher({self._session})"


class SessionKeys:
    def __init__(self, store: ReadStore, box: SecretBox) -> None:
        self._db = store
        self._box = box
        with store.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id TEXT PRIMARY KEY,"
                " sealed_key TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    def create(self, session_id: str) -> SessionCipher:
        key = AESGCM.generate_key(bit_length=256)
        sealed = self._box.seal(base64.b64encode(key).decode(), _context(session_id))
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {TABLE} (session_id, sealed_key, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (session_id) DO NOTHING",
                (session_id, sealed, now_iso()),
            )
        found = self.cipher(session_id)
        assert found is not None
        return found

    def cipher(self, session_id: str) -> SessionCipher | None:
        """None once the key was destroyed."""
        row = self._db.fetchone(
            f"SELECT sealed_key FROM {TABLE} WHERE session_id = ?", (session_id,)
        )
        if row is None:
            return None
        key = base64.b64decode(self._box.open(row["sealed_key"], _context(session_id)))
        return SessionCipher(session_id, key)

    def destroy(self, session_id: str) -> bool:
        with self._db.transaction() as tx:
            return tx.execute_counted(f"DELETE FROM {TABLE} WHERE session_id = ?", (session_id,)) > 0


def _context(session_id: str) -> str:
    return f"assessment-session:{session_id}"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
