"""The results pane: one reply, laid out part by part as it streams.

Events arrive from the run at wire speed; the pane only buffers them and shows them one frame
after the first came (about 16 ms, longer when the last append cost more), so there is at most
one repaint per frame. Showing appends each part's new text at that block's end cursor; a text
block renders the Markdown blocks that have finished and keeps the open one as plain text. The
steps are run by the scheduler every pane shares (frames.py): one pane's step at a time, the loop
turning between them, within one budget a turn, however many stream at once. The view follows
the tail only while the user is at the bottom. A finished exchange (a saved run, a reopened
file) is shown the same way, all at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.views.results.footer import FooterBlock
from composer.views.results.frames import scheduler, stream_ended, stream_started
from composer.views.results.schema_status import SchemaStatus
from composer.views.results.stats import footer_text
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from types import ModuleType

    from composer.models.assembler import Assembler
    from composer.models.events import StreamEvent
    from composer.models.exchange import ErrorInfo, Exchange
    from composer.views.results.blocks import Block, ErrorBlock

FRAME_MS = 16
MAX_FRAME_MS = 200
_FOLLOW_SLACK = 4  # pixels from the bottom that still count as "at the bottom"


def _dispatch() -> ModuleType:
    """The part blocks and what shows each event in them: imported with the first reply a pane
    shows, not with the window (an empty pane needs none of them)."""
    from composer.views.results import dispatch

    return dispatch


class ResultsPane(QWidget):
    retry_requested = Signal()
    flushed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.assembler: Assembler | None = None
        self.blocks: dict[int, Block] = {}
        self.error_block: ErrorBlock | None = None
        self.footer = FooterBlock()
        self.flush_count = 0
        self.events_seen = 0
        self._pending: list[tuple[StreamEvent, int | None]] = []
        self._pending_chars = 0  # reply text in ``_pending``
        self._follow = True

        self.toolbar = QToolBar("Results")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.markdown_check = QCheckBox("Markdown")
        self.markdown_check.setChecked(True)
        self.markdown_check.setToolTip("Show text as rendered Markdown, or as the raw text")
        self.markdown_check.toggled.connect(self.set_markdown)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # holds the provider's model name
        self.schema_status = SchemaStatus()
        top = QHBoxLayout()
        top.setContentsMargins(4, 0, 4, 0)
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.markdown_check)

        self.hint = WrappedLabel("Replies appear here when you send the conversation (Ctrl+Enter).")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setEnabled(False)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(6, 6, 6, 6)
        self.body_layout.setSpacing(6)
        self.body_layout.addWidget(self.hint)
        self.body_layout.addWidget(self.footer)
        self.body_layout.addStretch(1)
        self.footer.hide()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.body)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.scroll.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrollbar_value_changed)
        bar.rangeChanged.connect(self._on_scrollbar_range_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.schema_status)
        layout.addWidget(self.scroll, 1)
        self.title.hide()

        # Events are shown one frame after the first of them came (longer when showing the
        # last ones cost more); the shared scheduler (frames.py) runs the steps.
        self._interval = FRAME_MS / 1000
        self._flush_due = 0.0
        self._render_due = False  # text was appended: its finished blocks are to be found

    # -- reading ------------------------------------------------------------------------------

    def blocks_of(self, kind: type) -> list:
        return [b for _, b in sorted(self.blocks.items()) if isinstance(b, kind)]

    @property
    def markdown(self) -> bool:
        return self.markdown_check.isChecked()

    # -- a live run ---------------------------------------------------------------------------

    def begin(self, assembler: Assembler, title: str = "",
              schema: dict[str, Any] | None = None) -> None:
        """Clear the pane for a new run whose events ``feed`` will bring; ``schema``: the
        response schema its reply is checked against as it streams."""
        self.clear()
        self.assembler = assembler
        self._set_title(title)
        self.schema_status.begin(schema)
        self.hint.hide()
        stream_started(self)

    def feed(self, event: StreamEvent, index: int | None) -> None:
        """Buffer one event (already fed to the assembler); the next frame shows it."""
        self._pending.append((event, index))
        # Text and reasoning: what renders as Markdown, and can fall behind.
        self._pending_chars += len(getattr(event, "text", ""))
        if len(self._pending) == 1:
            self._flush_due = time.monotonic() + self._interval
            scheduler.want(self, self._interval)

    def flush(self) -> None:
        """Show every buffered event now, and render what has finished within the budget."""
        self._show_pending()
        self._render_waiting()

    def step(self) -> float | None:
        """One step for the scheduler: show what came (once a frame), or render what waits.
        Seconds until the next step is due; None when there is nothing to do."""
        now = time.monotonic()
        if self._pending and now >= self._flush_due:
            self._show_pending()
        elif self._render_due or self.busy:
            self._render_due = False
            self._render_blocks()
        if self._render_due or self.busy:
            return 0.0
        if self._pending:
            return max(0.0, self._flush_due - time.monotonic())
        return None

    @property
    def busy(self) -> bool:
        return any(b.busy for b in self.blocks.values())

    def _show_pending(self) -> None:
        """Show every buffered event: one append per touched block."""
        if not self._pending or self.assembler is None:
            self._pending.clear()
            self._pending_chars = 0
            return
        started = time.monotonic()
        pending, self._pending = self._pending, []
        self._pending_chars = 0
        self.events_seen += len(pending)
        texts: dict[int, list[str]] = {}
        show_event = _dispatch().show_event
        for event, index in pending:
            if index is None:
                continue
            if index not in self.blocks and texts:
                # A new part finishes the ones before it: their text so far goes in first.
                for earlier in list(texts):
                    self.flush_text(earlier, texts)
            show_event(self, event, index, texts)
        for index, chunks in texts.items():
            block = self.blocks[index]
            block.append("".join(chunks))
        self.schema_status.follow(self.assembler)
        self._render_due = True
        self.flush_count += 1
        cost_ms = (time.monotonic() - started) * 1000
        self._interval = min(max(FRAME_MS, cost_ms), MAX_FRAME_MS) / 1000
        self.flushed.emit()

    def _render_waiting(self) -> None:
        """Render the Markdown blocks that have finished, within the turn's budget; the
        scheduler comes back while some wait."""
        self._render_due = False
        self._render_blocks()
        if not self.caught_up:
            scheduler.want(self)

    def _render_blocks(self) -> None:
        for block in self.blocks.values():
            if not block.finished or block.busy:
                block.maybe_render()

    @property
    def backlog(self) -> int:
        """Characters of reply text and reasoning that came and are not rendered yet
        (frames.py holds the reading of the streams back while a pane is far behind)."""
        return self._pending_chars + sum(b.backlog for b in self.blocks.values())

    @property
    def caught_up(self) -> bool:
        """Everything that arrived is shown, its Markdown rendered."""
        return not self._pending and not self._render_due and not self.busy

    def flush_text(self, index: int, texts: dict[int, list[str]]) -> None:
        chunks = texts.pop(index, None)
        if chunks:
            self.blocks[index].append("".join(chunks))

    def insert_block(self, widget: QWidget) -> None:
        """Put a new part's block in, after the others (the footer and any error stay last)."""
        before = self.error_block if self.error_block is not None else self.footer
        self.body_layout.insertWidget(self.body_layout.indexOf(before), widget)
        widget.show()  # else Qt shows it only when the queued show comes round

    def end(self, exchange: Exchange) -> None:
        """The run is over: show what is left, finish the blocks, the footer and any error."""
        self.flush()
        for block in self.blocks.values():
            if not block.finished:
                # A tool call cut short keeps its argument text as it arrived.
                block.finish()
        self._show_error(exchange.composer.error)
        self.schema_status.show_verdict(exchange.composer.schema_verdict)
        self.footer.setText(footer_text(exchange))
        self.footer.show()
        stream_ended(self)
        self._render_waiting()

    # -- a finished exchange ------------------------------------------------------------------

    def show_exchange(self, exchange: Exchange, title: str = "") -> None:
        """Lay out a finished exchange's reply at once."""
        self.clear()
        self.hint.hide()
        self._set_title(title)
        block_for_part = _dispatch().block_for_part
        for i, part in enumerate(p for m in exchange.messages for p in m.parts):
            block = block_for_part(part, self.markdown)
            if block is not None:
                self.blocks[i] = block
                self.insert_block(block)
        self._show_error(exchange.composer.error)
        self.schema_status.show_verdict(exchange.composer.schema_verdict)
        self.footer.setText(footer_text(exchange))
        self.footer.show()
        # A finished reply is read from its start, not followed to its end.
        self._follow = False
        self.scroll.verticalScrollBar().setValue(0)
        self._render_waiting()

    # -- both ---------------------------------------------------------------------------------

    def clear(self) -> None:
        scheduler.drop(self)
        self._render_due = False
        self._pending.clear()
        self._pending_chars = 0
        self.assembler = None
        stream_ended(self)
        for block in self.blocks.values():
            block.setParent(None)
            block.deleteLater()
        self.blocks.clear()
        self.schema_status.clear()
        self._show_error(None)
        self.footer.clear()
        self.footer.hide()
        self.flush_count = 0
        self.events_seen = 0
        self._follow = True

    def show_notice(self, error: ErrorInfo) -> None:
        """A problem found before sending: shown as the pane's only part."""
        self.clear()
        self.hint.hide()
        self._set_title("")
        self._show_error(error)

    def set_markdown(self, on: bool) -> None:
        if self.markdown_check.isChecked() != on:
            self.markdown_check.setChecked(on)  # comes back here through toggled
            return
        for block in self.blocks.values():
            block.set_markdown(on)
        self._render_waiting()

    def _show_error(self, error: ErrorInfo | None) -> None:
        if self.error_block is not None:
            self.error_block.setParent(None)
            self.error_block.deleteLater()
            self.error_block = None
        if error is None:
            return
        from composer.views.results.blocks import ErrorBlock  # with the first error shown

        self.error_block = ErrorBlock(error)
        self.error_block.retry_clicked.connect(self.retry_requested)
        self.body_layout.insertWidget(self.body_layout.indexOf(self.footer), self.error_block)
        self.error_block.show()

    def _set_title(self, title: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))

    def _on_scrollbar_value_changed(self, value: int) -> None:
        bar = self.scroll.verticalScrollBar()
        self._follow = value >= bar.maximum() - _FOLLOW_SLACK

    def _on_scrollbar_range_changed(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.scroll.verticalScrollBar().setValue(hi)
