"""Composer's icon for the window, the About box and the task switcher."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from composer.paths import ICON_SVG, RESOURCES


@cache
def app_icon() -> QIcon:
    # The rendered PNGs first, so the icon shows even where Qt's SVG plugin is missing.
    icon = QIcon()
    for png in sorted((RESOURCES / "icons" / "hicolor").glob("*/apps/llm-composer.png")):
        icon.addFile(str(png))
    icon.addFile(str(ICON_SVG))
    return icon
