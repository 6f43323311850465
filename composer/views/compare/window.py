"""The compare view: one conversation sent to several targets, their replies side by side.

A window of its own (compare columns need the width), holding a horizontal splitter of
``CompareColumn``s. The run itself is the core's ``Compare`` (composer/run/compare.py), an
asyncio task on the qasync loop that this view keeps a reference to; its listener hands each
event to its column's results pane, which buffers it and renders once per frame. Stop's key
(Esc) cancels every column; each keeps what arrived. "Keep this one" asks the main window, through
``keep_requested``, to make a column's reply the next turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from composer.models.conversation import Conversation
from composer.models.events import StreamEvent
from composer.providers.call_config import CallConfig
from composer.providers.trust import TrustedHosts
from composer.run.compare import Column, Compare
from composer.run.state import RunState
from composer.run.targets import Target
from composer.views.compare.column import CompareColumn, ElidedLabel
from composer.views.shortcuts import add_close_key

if TYPE_CHECKING:
    import httpx


class CompareWindow(QWidget):
    targets_requested = Signal()  # the user wants to change the targets (the dialog)
    keep_requested = Signal(list, int)  # every column's reply (list[list[Message]]), the one kept
    save_requested = Signal(object)  # a column's Exchange, to save as a file
    finished = Signal()  # every column has ended

    def __init__(self, parent: QWidget | None = None, *,
                 http_client: httpx.AsyncClient | None = None,
                 trusted: TrustedHosts | None = None, config: CallConfig | None = None,
                 stop_keys: Callable[[], list[QKeySequence]] | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Compare — Composer")
        self.setAccessibleName("Compare")
        add_close_key(self)
        self.http_client = http_client
        self.trusted = trusted
        self.call_config = config or CallConfig()
        self.compare: Compare | None = None
        self.task: asyncio.Task | None = None
        self._reruns: set[asyncio.Task] = set()
        self._last: tuple[Conversation, list[Target], bool] | None = None
        self._kept: int | None = None
        self.columns: list[CompareColumn] = []

        # Stop's own keys (Esc unless rebound) stop every column here too. Read at the key
        # press rather than bound as a second action: one key, one command (shortcuts.py).
        self.stop_keys = stop_keys or (lambda: [QKeySequence("Esc")])
        self.targets_button = QPushButton("&Targets…")
        self.targets_button.setToolTip("Choose the targets and send again")
        self.targets_button.clicked.connect(self.targets_requested)
        self.again_button = QPushButton("Send &Again")
        self.again_button.setToolTip("Send the same conversation to the same targets again")
        self.again_button.clicked.connect(self.send_again)
        self.stop_button = QPushButton("Stop All")
        self.stop_button.clicked.connect(self.stop)
        self.prompt = ElidedLabel("")  # what the columns answer: the last message, one line
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.markdown_check = QCheckBox("&Markdown")
        self.markdown_check.setChecked(True)
        self.markdown_check.toggled.connect(self._on_markdown_toggled)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(6)
        # Six columns may be wider than the screen: then they scroll sideways, the window
        # keeps its size.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.splitter)

        bar = QHBoxLayout()
        for button in (self.targets_button, self.again_button, self.stop_button):
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.prompt, 1)
        bar.addSpacing(12)
        bar.addWidget(self.status)
        bar.addSpacing(12)
        bar.addWidget(self.markdown_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.resize(1280, 760)
        self._update_buttons()

    @property
    def running(self) -> bool:
        """A compare or a column's Retry is still going (its task not yet done)."""
        tasks = [self.task, *self._reruns]
        return any(t is not None and not t.done() for t in tasks)

    # -- sending ------------------------------------------------------------------------------

    def start(self, conversation: Conversation, targets: Sequence[Target], *,
              chosen_base_url: bool = False) -> asyncio.Task:
        """Send ``conversation`` to ``targets``, a column each (a running compare is stopped)."""
        self.shutdown()
        targets = list(targets)
        self._last = (conversation, targets, chosen_base_url)
        self._kept = None
        self.compare = Compare(conversation, targets, listener=self._on_update,
                               trusted=self.trusted, chosen_base_url=chosen_base_url,
                               client=self.http_client, config=self.call_config,
                               trust_hint="type the base URL into the target (Targets…) to "
                                          "send it there")
        self._make_columns(self.compare.columns)
        self.prompt.set_full_text(_prompt_line(conversation))
        compare = self.compare
        self.task = asyncio.ensure_future(_priced_run(compare))
        self.task.add_done_callback(lambda _task: self._on_run_done(compare))
        self._update_buttons()
        return self.task

    def send_again(self) -> asyncio.Task | None:
        if self._last is None:
            return None
        conversation, targets, chosen = self._last
        return self.start(conversation, targets, chosen_base_url=chosen)

    def stop(self) -> None:
        if self.compare is not None:
            self.compare.stop()

    def shutdown(self) -> None:
        """Stop everything and drop late results (a new compare, the window closing)."""
        if self.compare is not None:
            self.compare.listener = None
            self.compare.stop()

    def _on_run_done(self, compare: Compare) -> None:
        # A done callback: the task is done by now, so the buttons read "not running".
        if compare is self.compare:
            self._update_buttons()
            self.finished.emit()

    def _rerun(self, index: int) -> None:
        compare = self.compare
        if compare is None:
            return
        task = asyncio.ensure_future(compare.rerun(index))
        self._reruns.add(task)
        task.add_done_callback(self._on_rerun_done)
        self._update_buttons()

    def _on_rerun_done(self, task: asyncio.Task) -> None:
        self._reruns.discard(task)
        self._update_buttons()

    def _make_columns(self, columns: list[Column]) -> None:
        for widget in self.columns:
            widget.setParent(None)
            widget.deleteLater()
        self.columns = []
        for column in columns:
            widget = CompareColumn(column)
            widget.pane.set_markdown(self.markdown_check.isChecked())
            widget.keep_clicked.connect(self.keep)
            widget.retry_clicked.connect(self._rerun)
            widget.save_clicked.connect(self._on_column_save_clicked)
            self.splitter.addWidget(widget)
            self.columns.append(widget)
        width = max(self.splitter.width(), 300 * len(columns))
        self.splitter.setSizes([width // len(columns)] * len(columns))

    def _on_update(self, column: Column, event: StreamEvent | None, index: int | None) -> None:
        widget = self.columns[column.index]
        if event is not None:
            widget.feed(event, index)
            return
        widget.update_state()
        if self._kept is not None:
            widget.keep_button.setEnabled(False)
        self._update_buttons()

    def _on_column_save_clicked(self, index: int) -> None:
        if self.compare is not None and self.compare.columns[index].exchange is not None:
            self.save_requested.emit(self.compare.columns[index].exchange)

    # -- keeping a reply ----------------------------------------------------------------------

    def keep(self, index: int) -> None:
        """Make column ``index``'s reply the next turn (the main window does it, undoable)."""
        if self.compare is None or self._kept is not None:
            return
        replies = [c.reply for c in self.compare.columns]
        if not replies[index]:
            return
        self._kept = index
        for i, widget in enumerate(self.columns):
            widget.keep_button.setEnabled(False)
            if i == index:
                widget.keep_button.setText("Kept")
        self.keep_requested.emit(replies, index)
        self._update_buttons()

    def conversation_gone(self) -> None:
        """The conversation these replies answer was replaced (Open, New): none can be kept."""
        self._kept = -1
        for widget in self.columns:
            widget.keep_button.setEnabled(False)
        self._update_buttons()

    # -- the bar ------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        running = self.running
        self.stop_button.setEnabled(running)
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in self.stop_keys())
        self.stop_button.setText(f"Stop All ({keys})" if keys else "Stop All")
        self.stop_button.setToolTip("Stop every column, keeping what arrived")
        self.again_button.setEnabled(self._last is not None and not running)
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        if self.compare is None:
            return "Choose targets to compare."
        columns = self.compare.columns
        ended = [c for c in columns if c.ended]
        failed = sum(c.state in (RunState.ERROR, RunState.REFUSED) for c in columns)
        pieces = [f"{len(ended)} of {len(columns)} finished"]
        if failed:
            pieces.append(f"{failed} failed")
        if self._kept is not None and self._kept >= 0:
            pieces.append(f"kept {columns[self._kept].name} as the next turn")
        return " · ".join(pieces)

    def _on_markdown_toggled(self, on: bool) -> None:
        for widget in self.columns:
            widget.pane.set_markdown(on)

    # -- Qt overrides -------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        pressed = QKeySequence(event.keyCombination())
        if self.running and any(k.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
                                for k in self.stop_keys()):
            self.stop()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.stop()  # closing the view stops its requests; what arrived stays until next time
        super().closeEvent(event)


def _prompt_line(conversation: Conversation) -> str:
    """``2 messages, the last (user): “Say hi in Portuguese”``"""
    messages = conversation.messages
    if not messages:
        return ""
    last = messages[-1]
    text = " ".join(last.plain_text.split())
    count = f"{len(messages)} message{'s' if len(messages) != 1 else ''}"
    return f"{count}, the last ({last.role}): “{text}”" if text else count


async def _priced_run(compare: Compare) -> object:
    """The compare run, once the price table is loaded in a thread: each finished column is
    priced on the loop, and loading the table there would freeze the window."""
    from composer.models import pricing
    from composer.providers.threads import in_thread

    if not pricing.is_warm():
        await in_thread(pricing.warm)
    return await compare.run()
