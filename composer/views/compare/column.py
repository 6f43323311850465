"""One column of the compare view: a target's name and settings, its state and figures (time to
first token, tokens per second, tokens, stop reason), its reply as the results pane renders one
(the same incremental blocks, coalesced per frame), and "Keep this one" once it has finished.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from composer.models.events import StreamEvent
from composer.run.compare import Column
from composer.run.metrics import Metrics
from composer.run.state import RunState
from composer.views import theme
from composer.views.results.pane import ResultsPane
from composer.views.results.stats import usage_text

STATE_TEXT = {
    RunState.QUEUED: "Queued", RunState.SENDING: "Sending…", RunState.RETRYING: "Retrying…",
    RunState.STREAMING: "Streaming…", RunState.DONE: "Done", RunState.ERROR: "Failed",
    RunState.STOPPED: "Stopped", RunState.REFUSED: "Not sent",
}
FIGURES = (("ttft", "first token"), ("rate", "tok/s"), ("tokens", "tokens"), ("stop", "stop"))


class ElidedLabel(QLabel):
    """One line of plain text that shrinks with its column, ending in "…" when cut (the whole
    text is its tooltip), so a long model name or base URL never forces the column wider."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full_text = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self.setAccessibleName(text)  # a screen reader reads it whole
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                        max(self.width(), 1)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()


def _settings_text(column: Column) -> str:
    target = column.target
    pieces = [f"{k.replace('_', ' ')} {v}" for k, v in target.options.items()]
    pieces += [f"{k} {v}" for k, v in target.extra_body.items()]
    if target.base_url:
        pieces.append(target.base_url)
    return " · ".join(pieces) or "the conversation's settings"


class CompareColumn(QFrame):
    keep_clicked = Signal(int)  # the column's index
    retry_clicked = Signal(int)
    save_clicked = Signal(int)

    def __init__(self, column: Column, parent: QWidget | None = None):
        super().__init__(parent)
        self.column = column
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = ElidedLabel(column.name)  # a model name the user typed: plain text
        font = self.name.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.name.setFont(font)
        self.state = QLabel()
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.settings = ElidedLabel(_settings_text(column))
        self.settings.setStyleSheet(f"color: {theme.colour('muted')};")
        self.keep_button = QPushButton("Keep This One")
        self.keep_button.setToolTip("Make this reply the next turn of the conversation")
        self.keep_button.setEnabled(False)
        self.keep_button.clicked.connect(lambda: self.keep_clicked.emit(self.column.index))
        self.save_button = QPushButton("Save Exchange…")
        self.save_button.setToolTip("Save this target's request, reply, timings and raw events "
                                    "as an exchange file")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_clicked.emit(self.column.index))
        self.figures: dict[str, QLabel] = {}
        self.pane = ResultsPane()
        self.pane.scroll.setFrameShape(QFrame.Shape.NoFrame)  # the column's frame is enough
        self.pane.toolbar.hide()
        self.pane.markdown_check.hide()
        self.pane.hint.setText("Waiting for its turn…")
        self.pane.retry_requested.connect(lambda: self.retry_clicked.emit(self.column.index))
        self.pane.flushed.connect(self._show_figures)

        bottom = QHBoxLayout()  # read first, then keep: the button comes after the reply
        bottom.setContentsMargins(0, 0, 6, 6)
        bottom.addWidget(self.save_button)
        bottom.addStretch(1)
        bottom.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.name)
        layout.addWidget(self.settings)
        layout.addLayout(self._figures_grid())
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(rule)
        layout.addWidget(self.pane, 1)
        layout.addLayout(bottom)
        self.setAccessibleName(f"Reply of {column.name}")
        self.update_state()

    def _figures_grid(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(0)
        grid.addWidget(self.state, 1, 0)
        caption = QLabel("state")
        grid.addWidget(caption, 0, 0)
        captions = [caption]
        for i, (key, text) in enumerate(FIGURES, 1):
            caption = QLabel(text)
            value = QLabel("–")
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setFont(QFont(value.font().family(), value.font().pointSize(), QFont.Weight.Bold))
            grid.addWidget(caption, 0, i)
            grid.addWidget(value, 1, i)
            captions.append(caption)
            self.figures[key] = value
        for caption in captions:
            font = caption.font()
            font.setPointSizeF(font.pointSizeF() * 0.85)
            caption.setFont(font)
            caption.setStyleSheet(f"color: {theme.colour('muted')};")
        grid.setColumnStretch(len(FIGURES), 1)
        return grid

    # -- following the column -----------------------------------------------------------------

    def feed(self, event: StreamEvent, index: int | None) -> None:
        if self.pane.assembler is not self.column.assembler:  # sent (again): a fresh reply
            self.pane.begin(self.column.assembler)
        self.pane.feed(event, index)

    def update_state(self) -> None:
        column = self.column
        state = column.state
        text = STATE_TEXT.get(state, str(state))
        if state == RunState.QUEUED and column.lane:
            self.state.setToolTip(f"Waits for {column.lane}: it serves one request at a time")
        self.state.setText(text)
        colour = {RunState.ERROR: "error", RunState.REFUSED: "error",
                  RunState.STOPPED: "warning"}.get(state)
        self.state.setStyleSheet(f"color: {theme.colour(colour)};" if colour else "")
        if state == RunState.SENDING and self.pane.assembler is not column.assembler:
            self.pane.begin(column.assembler)
        exchange = column.exchange
        if state == RunState.REFUSED and exchange is not None and exchange.composer.error:
            self.pane.show_notice(exchange.composer.error)
        elif column.ended and exchange is not None:
            if self.pane.assembler is not column.assembler:
                self.pane.begin(column.assembler)
            self.pane.end(exchange)
            self.pane.footer.hide()  # its figures are in the header
        self.keep_button.setEnabled(column.ended and bool(column.reply)
                                    and state in (RunState.DONE, RunState.STOPPED))
        self.save_button.setEnabled(column.ended and state != RunState.REFUSED)
        self._show_figures()

    def _show_figures(self) -> None:
        m: Metrics = self.column.metrics
        stop = (m.stop_reason or "") if self.column.ended else ""
        values = {"ttft": m.ttft_text, "rate": m.rate_text, "tokens": m.tokens_text,
                  "stop": stop}
        for key, label in self.figures.items():
            label.setText(values[key] or "–")
        exchange = self.column.exchange
        # The whole count (in, out, reasoning, cached) where the header has room for one figure.
        self.figures["tokens"].setToolTip(usage_text(exchange.usage) if exchange else "")
