"""A window with two replies side by side, what changed highlighted (see page.py).

Opened for any two replies: ``show_reply_diff(parent, title_a, messages_a, title_b,
messages_b)`` for variants or compare columns, ``show_exchange_diff`` for two runs (adds what
differs about the outcome: model, stop reason, tokens, error). The diff is computed and the page
built once, as HTML in pieces: the first is shown at once, the others are appended one per
event-loop turn, so a long reply never holds the window up. Opening a fold or showing every
line builds the page again and keeps the scroll position.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from composer.models.diff import ReplyDiff, diff_exchanges, diff_replies
from composer.models.exchange import Exchange
from composer.models.parts import Message
from composer.views import theme
from composer.views.reply_diff.page import DARK, LIGHT, UNFOLD, Folds, build_page
from composer.views.shortcuts import add_close_key

_PALETTE_CHANGES = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class DiffBrowser(QTextBrowser):
    """Read-only rich text that follows only its own fold links and never loads a resource;
    ``refused_resources`` lists what it declined."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.refused_resources: list[str] = []
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.document().setUndoRedoEnabled(False)
        # A scroll bar that comes and goes as the page grows would lay the page out again at
        # the new width each time.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802
        self.refused_resources.append(url.toString())
        return None


class ReplyDiffWindow(QWidget):
    """Two replies side by side. ``result`` is the diff shown; ``view`` the page."""

    def __init__(self, result: ReplyDiff, title_a: str, title_b: str,
                 parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        add_close_key(self)
        self.result = result
        self.titles = (title_a, title_b)
        self.folds = Folds()
        self.current = -1  # the change last moved to
        self.setWindowTitle(f"Compare {title_a} with {title_b}")
        self.setAccessibleName("Reply comparison")
        self.view = DiffBrowser()
        self.view.setAccessibleName("Differences")
        self.view.anchorClicked.connect(self._on_view_anchor_clicked)
        self.verdict = QLabel()
        self.show_all = QCheckBox("Show unchanged lines")
        self.show_all.setToolTip("Show every line, not only the changes and the lines around them")
        self.show_all.toggled.connect(self._on_show_all_toggled)
        # Actions carry the keys (a button's own shortcut clicks it only after an animation).
        self.previous_action = QAction("Previous Change", self)
        self.previous_action.setShortcut(QKeySequence("Shift+F7"))
        self.previous_action.triggered.connect(lambda: self.go_to_change(self.current - 1))
        self.next_action = QAction("Next Change", self)
        self.next_action.setShortcut(QKeySequence("F7"))
        self.next_action.triggered.connect(lambda: self.go_to_change(self.current + 1))
        self.addActions([self.previous_action, self.next_action])
        self.previous_button = QPushButton("Previous Change")
        self.next_button = QPushButton("Next Change")
        self.previous_button.setToolTip("Go to the previous change (Shift+F7)")
        self.next_button.setToolTip("Go to the next change (F7)")
        self.previous_button.clicked.connect(self.previous_action.trigger)
        self.next_button.clicked.connect(self.next_action.trigger)
        bar = QHBoxLayout()
        bar.addWidget(self.verdict, 1)
        for w in (self.show_all, self.previous_button, self.next_button):
            bar.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.changes = 0
        self.pending: list[str] = []
        self._restore = 0
        # One piece per event-loop turn; the timer dies with the window, and with it the rest.
        self._appender = QTimer(self)
        self._appender.setSingleShot(True)
        self._appender.setInterval(0)
        self._appender.timeout.connect(self._append_next)
        self.resize(1100, 700)
        self._shown = False  # the page is built when first shown: laid out once, at its width

    def render(self) -> None:
        """Build the page and show its first piece; the rest follow (``pending``)."""
        self._restore = self.view.verticalScrollBar().value()
        colours = DARK if theme.is_dark() else LIGHT
        page = build_page(self.result, *self.titles, colours, self.folds)
        self.changes = page.changes
        self.pending = page.pieces[1:]
        self.view.setHtml(page.pieces[0] if page.pieces else "")
        self._keep_place()
        changed = len(self.result.changed_sections)
        self.verdict.setText("The replies are the same." if self.result.equal else
                             "1 part differs" if changed == 1 else f"{changed} parts differ")
        for control in (self.previous_button, self.next_button, self.previous_action,
                        self.next_action):
            control.setEnabled(self.changes > 0)
        if self.pending:
            self._appender.start()

    def finish(self) -> None:
        """Append every piece still pending now (before moving to a change)."""
        while self.pending:
            self._append_next()

    def _append_next(self) -> None:
        if not self.pending:
            return
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(self.pending.pop(0))
        self._keep_place()
        if self.pending:
            self._appender.start()

    def _keep_place(self) -> None:
        """Back to where the reader was before the page was built again, once it is there."""
        bar = self.view.verticalScrollBar()
        if self._restore and bar.maximum() >= self._restore:
            bar.setValue(self._restore)
            self._restore = 0

    def go_to_change(self, index: int) -> None:
        if not self.changes:
            return
        self.finish()
        self.current = index % self.changes
        self.view.scrollToAnchor(f"change-{self.current}")

    def _on_view_anchor_clicked(self, url: QUrl) -> None:
        link = url.toString()
        if not link.startswith(UNFOLD):
            return
        try:
            section, start = (int(x) for x in link[len(UNFOLD):].split(":"))
        except ValueError:
            return
        self.folds.opened.add((section, start))
        self.render()

    def _on_show_all_toggled(self, on: bool) -> None:
        self.folds.all = on
        self.render()

    # -- Qt overrides -------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            self.render()

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in _PALETTE_CHANGES and self._shown:
            self.render()  # the system went light or dark: the marks' colours follow


def show_reply_diff(parent: QWidget | None, title_a: str, messages_a: Sequence[Message],
                    title_b: str, messages_b: Sequence[Message]) -> ReplyDiffWindow:
    """Open a window comparing two replies (lists of messages); returns it, shown."""
    return _show(ReplyDiffWindow(diff_replies(messages_a, messages_b), title_a, title_b, parent))


def show_exchange_diff(parent: QWidget | None, title_a: str, a: Exchange, title_b: str,
                       b: Exchange) -> ReplyDiffWindow:
    """Open a window comparing two exchanges' replies and outcomes; returns it, shown."""
    return _show(ReplyDiffWindow(diff_exchanges(a, b), title_a, title_b, parent))


def _show(window: ReplyDiffWindow) -> ReplyDiffWindow:
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
