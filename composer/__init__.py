"""Composer: a desktop workbench for multi-turn LLM requests."""

import builtins as _builtins

__version__ = "0.1.0"

# Python's own ``__import__``, kept before PySide6 replaces it (composer/views/qt_start.py).
PLAIN_IMPORT = _builtins.__import__
