"""The table's cache mark: a small "5m" / "1h" tag before the role of a row that holds a cache
breakpoint (composer.models.caching), drawn once per lifetime and colour scheme."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from composer.models.caching import Ttl, ttl_label
from composer.views import theme

_ICONS: dict[tuple[str, str], QIcon] = {}
SIZE = 16


def cache_icon(ttl: Ttl) -> QIcon:
    """A filled rounded tag with the lifetime in it, in the scheme's muted colour."""
    colour = theme.colour("muted")
    key = (ttl, colour)
    if key not in _ICONS:
        pixmap = QPixmap(SIZE * 2, SIZE * 2)  # drawn at 2x: crisp on high-DPI screens
        pixmap.setDevicePixelRatio(2)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        tag = QRect(0, 2, SIZE, SIZE - 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(tag, 3, 3)
        font = QFont()
        font.setPixelSize(9)
        font.setBold(True)
        painter.setFont(font)
        # Text on the tag in the base colour: both schemes' muted colours pass 4.5:1 with it.
        painter.setPen(QColor("#1e1e20" if theme.is_dark() else "#ffffff"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, ttl)
        painter.end()
        _ICONS[key] = QIcon(pixmap)
    return _ICONS[key]


def cache_tooltip(ttl: Ttl) -> str:
    return f"Cache breakpoint ({ttl_label(ttl)}): the prompt up to this row is cached"
