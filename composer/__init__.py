"""Composer: a desktop workbench for multi-turn LLM requests."""

import builtins as _builtins

__version__ = "0.1.0"

# The desktop id: the launcher entry, the icon and the Wayland window are matched by it.
APP_ID = "io.github.llm_composer.Composer"

# Python's own ``__import__``, kept before PySide6 replaces it (composer/views/qt_start.py).
PLAIN_IMPORT = _builtins.__import__
