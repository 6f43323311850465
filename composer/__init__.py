"""Composer: a desktop workbench for multi-turn LLM requests."""

__version__ = "0.1.0"
