"""Projections of one's own, run over the whole log with ``learnstream replay --projection``."""
