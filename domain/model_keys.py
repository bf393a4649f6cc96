"""A user's own model API key, as the log knows it: that one was stored, and its preview.

The key itself never enters the log: it is sealed in a table outside it
(``infrastructure.model_keys``), so removing it really removes it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def model_key_id(user_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE_URL, f"learnstream:model-key:{user_id}")


def key_preview(api_key: str) -> str:
    """``sk-...ab12``: the first three and last four characters."""
    return f"{api_key[:3]}...{api_key[-4:]}"


class ModelKey(Aggregate):
    class ModelKeyStored(Aggregate.Created):
        user_id: str
        preview: str

    @event(ModelKeyStored)
    def __init__(self, user_id: str, preview: str) -> None:
        self.user_id = user_id
        self.preview: str | None = preview

    @classmethod
    def stored(cls, user_id: UUID, preview: str) -> ModelKey:
        return cls._create(cls.ModelKeyStored, id=model_key_id(user_id),
                           user_id=str(user_id), preview=preview)

    class ModelKeyReplaced(Aggregate.Event):
        preview: str

    @event(ModelKeyReplaced)
    def replace(self, preview: str) -> None:
        self.preview = preview

    class ModelKeyRemoved(Aggregate.Event):
        pass

    @event(ModelKeyRemoved)
    def _removed(self) -> None:
        self.preview = None

    def remove(self) -> None:
        if self.preview is not None:
            self._removed()
