"""Where Composer keeps its own files: settings, the autosaved draft, recent files.

``COMPOSER_USER_DIR`` overrides the platform's location (tests isolate themselves with it).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

RESOURCES = Path(__file__).resolve().parent / "resources"


def user_dir() -> Path:
    override = os.environ.get("COMPOSER_USER_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("llm-composer"))
    path.mkdir(parents=True, exist_ok=True)
    return path
