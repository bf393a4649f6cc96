"""argon2id password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2idHasher:
    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 2) -> None:
        self._argon = Argon2(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy = self._argon.hash("learnstream-timing-equaliser")

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def waste_time(self, password: str) -> None:
        self.verify(self._dummy, password + "\x00")
