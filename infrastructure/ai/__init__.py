"""Language-model adapters for ``application.language_model.LanguageModel``.

``AnthropicModel`` is loaded on first use: it imports the SDK, seconds of start-up a server on
the offline provider never needs."""

from typing import TYPE_CHECKING, Any

from infrastructure.ai.anthropic_models import AnthropicModels

if TYPE_CHECKING:
    from infrastructure.ai.anthropic_model import AnthropicModel

__all__ = ["AnthropicModel", "AnthropicModels"]


def __getattr__(name: str) -> Any:
    if name == "AnthropicModel":
        from infrastructure.ai.anthropic_model import AnthropicModel

        return AnthropicModel
    raise AttributeError(name)
