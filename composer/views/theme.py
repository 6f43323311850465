"""Light or dark, following the system's colour scheme (Qt 6.5+ ``QStyleHints.colorScheme``).

Dark uses the Fusion style with a dark palette, because several platform styles ignore a dark
palette; light keeps the platform's own look. The choice follows the system live.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

Scheme = Qt.ColorScheme


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(45, 45, 48), QColor(225, 225, 228)
    disabled = QColor(128, 128, 132)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(38, 38, 41),
        QPalette.ColorRole.ToolTipBase: window,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: disabled,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.Highlight: QColor(52, 110, 200),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 70, 74),
        QPalette.ColorRole.Midlight: QColor(58, 58, 62),
        QPalette.ColorRole.Mid: QColor(40, 40, 43),
        QPalette.ColorRole.Dark: QColor(22, 22, 24),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


class Theme:
    """Applies the palette for the current scheme and re-applies it when the system changes."""

    def __init__(self, app: QApplication):
        self._app = app
        self._light_style = app.style().name()
        self._light_palette = QPalette(app.palette())
        self.scheme: Scheme = Scheme.Unknown
        self._dark = False
        app.styleHints().colorSchemeChanged.connect(self.apply)
        self.apply()

    def apply(self, scheme: Scheme | None = None) -> None:
        scheme = scheme if scheme is not None else self._app.styleHints().colorScheme()
        if scheme == self.scheme:
            return
        self.scheme = scheme
        if scheme == Scheme.Dark:
            self._app.setStyle(QStyleFactory.create("Fusion"))
            self._app.setPalette(dark_palette())
            self._dark = True
        elif self._dark:
            self._dark = False
            self._app.setStyle(QStyleFactory.create(self._light_style) or self._app.style())
            self._app.setPalette(self._light_palette)


def is_dark() -> bool:
    app = QGuiApplication.instance()
    return app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128
