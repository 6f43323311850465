"""Where Composer keeps its own files: settings, the autosaved draft, recent files; and where its
bundled resources are.

``COMPOSER_USER_DIR`` overrides the platform's location (tests isolate themselves with it).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parent


def _resources() -> Path:
    # A wheel carries the top-level resources/ folder inside the package (setup.py maps it);
    # a checkout, PYTHONPATH or an editable install reads it where it lies.
    installed = _PACKAGE / "resources"
    return installed if installed.is_dir() else _PACKAGE.parent / "resources"


RESOURCES = _resources()
EXAMPLES = RESOURCES / "examples"
SCHEMAS = RESOURCES / "schema"
ICON_SVG = RESOURCES / "icons" / "llm-composer.svg"


def user_dir() -> Path:
    override = os.environ.get("COMPOSER_USER_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("llm-composer"))
    path.mkdir(parents=True, exist_ok=True)
    return path
