"""Room for the status bar's message.

Qt paints a status message (a refusal, "Row 4: kept as variant 2 of 2…") in whatever width the
permanent widgets at the right leave it, and after a run those hold its figures (first token,
speed, tokens, cost), which cut a message to a few words. While a message would not fit, the
figures that the results pane's footer says too step aside, also when they grow while it is
shown; when it goes, they come back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QStatusBar, QWidget

INDENT = 12  # the message's indent and its gap before the widgets (Qt's: 6 and 4 pixels)
GAP = 6  # between two widgets (the bar's layout spacing, with a little to spare)
DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


def make_room(bar: QStatusBar, yielding: list[QWidget]) -> None:
    """Hide ``yielding`` (permanent widgets of ``bar``) while the message shown would not fit
    beside the bar's widgets; show again those it hid once the message goes."""
    hidden: list[QWidget] = []

    def fit(message: str) -> None:
        if not message:
            for widget in hidden:
                widget.show()
            hidden.clear()
            return
        # By size hints, not positions: the figures may have changed with the message, in
        # the same turn of the loop, before the bar laid them out again.
        widgets = [w for w in bar.findChildren(QWidget, options=DIRECT) if w.isVisibleTo(bar)]
        room = bar.width() - sum(w.sizeHint().width() + GAP for w in widgets) - INDENT
        if bar.fontMetrics().horizontalAdvance(message) <= room:
            return
        for widget in yielding:
            if widget.isVisibleTo(bar):
                widget.hide()
                hidden.append(widget)

    bar.messageChanged.connect(fit)
    # The figures may also grow after the message came (a run ends with an error while it is
    # shown): a widget's new size asks the bar for a layout, and the message is fitted again.
    bar.installEventFilter(_Refit(bar, fit))


class _Refit(QObject):
    def __init__(self, bar: QStatusBar, fit: Callable[[str], None]):
        super().__init__(bar)
        self._bar = bar
        self._fit = fit

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LayoutRequest and self._bar.currentMessage():
            self._fit(self._bar.currentMessage())
        return False
