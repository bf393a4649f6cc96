"""AES-GCM encryption of small secrets (webhook signing secrets) at rest.

The 256-bit key is either given by settings (``LEARNSTREAM_SECRET_BOX_KEY``, base64 — needed when
processes on several hosts share one PostgreSQL) or generated once into the data dir (0600).
Ciphertexts are ``v1:<base64(nonce | ciphertext+tag)>`` and bound to a context (the endpoint
uuid) through the associated data, so a ciphertext copied to another endpoint does not decrypt.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infrastructure.key_files import read_or_create

_PREFIX = "v1:"
_KEY_FILE = "secret_box.key"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("SecretBox needs a 256-bit key")
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, configured: str, data_dir: Path) -> SecretBox:
        if configured:
            return cls(base64.b64decode(configured))
        return cls(load_or_create_key(data_dir))

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, ciphertext: str, context: str) -> str:
        if not ciphertext.startswith(_PREFIX):
            raise ValueError("unknown ciphertext format")
        raw = base64.b64decode(ciphertext[len(_PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


def load_or_create_key(data_dir: Path) -> bytes:
    """The data dir's key, made on first use; processes starting together all get the same one."""
    made = read_or_create(
        data_dir / _KEY_FILE, lambda: base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
    )
    return base64.b64decode(made)
