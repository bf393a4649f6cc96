"""Language-model adapters for ``application.language_model.LanguageModel``."""

from infrastructure.ai.anthropic_model import AnthropicModel
from infrastructure.ai.anthropic_models import AnthropicModels

__all__ = ["AnthropicModel", "AnthropicModels"]
