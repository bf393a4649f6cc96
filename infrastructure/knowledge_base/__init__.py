"""The assessment knowledge base: TOML content files and the loader that validates them."""

from infrastructure.knowledge_base.loader import load_knowledge_base

__all__ = ["load_knowledge_base"]
