"""Light or dark, following the system's colour scheme (Qt 6.5+ ``QStyleHints.colorScheme``).

Dark uses the Fusion style with a dark palette, because several platform styles ignore a dark
palette; light keeps the platform's own look. The choice follows the system live.

Both meet WCAG AA: every text colour has a contrast ratio of at least 4.5:1 against the
background it is drawn on (``PAIRS``); a platform colour that falls short is darkened or
lightened until it passes (``ensure_contrast``). Disabled text counts too: the reply's reasoning
and footer use it as their dimmed text. ``colour()`` gives the named colours the views draw with
(errors, warnings, code), one set per scheme.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

Scheme = Qt.ColorScheme


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(45, 45, 48), QColor(225, 225, 228)
    disabled = QColor(150, 150, 155)
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
        QPalette.ColorRole.Highlight: QColor(40, 92, 176),
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


AA = 4.5
Role = QPalette.ColorRole
# (text, background) pairs a reader sees.
PAIRS = [(Role.Text, Role.Base), (Role.Text, Role.AlternateBase), (Role.WindowText, Role.Window),
         (Role.ButtonText, Role.Button), (Role.HighlightedText, Role.Highlight),
         (Role.ToolTipText, Role.ToolTipBase), (Role.Link, Role.Base),
         (Role.PlaceholderText, Role.Base)]
# Dimmed text (the Disabled group's Text, see results/footer.py dim) on the backgrounds it
# is drawn on.
DIM_PAIRS = [(Role.Text, Role.Base), (Role.Text, Role.Window), (Role.WindowText, Role.Window)]

# name -> (light, dark). Each meets AA on its scheme's Base, Window and code background.
COLOURS = {
    "error": ("#b02a20", "#ff8f85"),
    "warning": ("#7a5416", "#e5b567"),
    "muted": ("#5c6168", "#a3a8b0"),
    "success": ("#2f6e2e", "#8fd18e"),
    "code-keyword": ("#9a2399", "#e08ee2"),
    "code-string": ("#2f6e2e", "#8fd18e"),
    "code-comment": ("#5c6168", "#a3a8b0"),
    "code-number": ("#7f5500", "#e6b14a"),
}


def _luminance(c: QColor) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(fg: QColor, bg: QColor, minimum: float = AA) -> QColor:
    """``fg``, or the nearest shade of it (darker on a light background, lighter on a dark one)
    that reaches ``minimum`` against ``bg``."""
    colour = QColor(fg)
    darken = _luminance(bg) > 0.18
    for _ in range(100):
        if contrast(colour, bg) >= minimum:
            return colour
        colour = colour.darker(108) if darken else colour.lighter(108)
        if darken and colour.value() == 0:
            break
        if not darken and colour.lightness() >= 255:
            break
    return QColor("black" if darken else "white")


def ensure_contrast(palette: QPalette) -> QPalette:
    p = QPalette(palette)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for fg, bg in PAIRS:
            p.setColor(group, fg, readable(p.color(group, fg), p.color(group, bg)))
    disabled = QPalette.ColorGroup.Disabled
    for fg, bg in DIM_PAIRS:
        p.setColor(disabled, fg, readable(p.color(disabled, fg), p.color(bg)))
    return p


def colour(name: str) -> str:
    """A named colour for the current scheme, as ``#rrggbb``."""
    light, dark = COLOURS[name]
    return dark if is_dark() else light


class Theme:
    """Applies the palette for the current scheme and re-applies it when the system changes."""

    def __init__(self, app: QApplication):
        self._app = app
        self._light_style = app.style().name()
        self._light_palette = ensure_contrast(app.palette())
        app.setPalette(self._light_palette)
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
            self._app.setPalette(ensure_contrast(dark_palette()))
            self._dark = True
        elif self._dark:
            self._dark = False
            self._app.setStyle(QStyleFactory.create(self._light_style) or self._app.style())
            self._app.setPalette(self._light_palette)


def is_dark() -> bool:
    app = QGuiApplication.instance()
    return app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128
