"""The count in the window: input tokens and cost of the conversation as it stands, and after a
run the tokens the provider reported, the run's cost and the conversation's running total.

An edit restarts a 600 ms timer; when it runs out the count starts as an asyncio task (the
provider's counter through composer.run.counting, over the window's HTTP client) and a newer
edit cancels it, so nothing goes on the wire per keystroke. The count never blocks Send: it is
a figure beside it. A count that fails says why in one line (the label's tooltip, read aloud as
its description) and shows the estimate.

Figures: the status bar's ``label`` (tokens, input cost, output range) and ``cost_label`` (the
last run against the count, its cost, the running total); each row's share under its role.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel

from composer.models.conversation import Conversation
from composer.run import RunState
from composer.views.status_room import make_room

if TYPE_CHECKING:
    import asyncio

    from composer.models import pricing
    from composer.models.exchange import Exchange
    from composer.run.counting import TokenCount
    from composer.views.run_controller import RunController
    from composer.views.window import MainWindow

DEBOUNCE_MS = 600


def count_text(count: TokenCount, priced: pricing.Estimate | pricing.NoPrice) -> str:
    """``Input 1,234 tokens · $0.0037 · output up to $0.0614``."""
    from composer.models import pricing

    text = f"Input {count.figure} tokens"
    if count.problem:
        text += " (estimate)"
    if isinstance(priced, pricing.NoPrice):
        return f"{text} · no price known"
    mark = "" if count.exact else "≈ "
    text += f" · {mark}{pricing.usd(priced.input)}"
    if priced.output_max is None:
        return f"{text} · output up to the model's limit"
    return f"{text} · output up to {pricing.usd(priced.output_max)}"


def count_tooltip(count: TokenCount, priced: pricing.Estimate | pricing.NoPrice) -> str:
    from composer.models import pricing

    lines = [count.describe()]
    if count.problem:
        lines.append(count.problem)
    if isinstance(priced, pricing.NoPrice):
        lines.append(str(priced))
    else:
        lines.append(f"Priced as {priced.rates.label} (genai-prices {pricing.table_version()})")
        if count.max_output:
            lines.append(f"Output: 0 to {count.max_output:,} tokens (max tokens)")
    if count.exact:
        lines.append("Each row's share is estimated; the total is the provider's count.")
    return "\n".join(lines)


def compact(tokens: int) -> str:
    """``≈ 178``, ``≈ 1.2k``, ``≈ 35k``: a row's share, always an estimate, in a narrow cell."""
    if tokens < 1000:
        return f"≈{tokens}"
    if tokens < 10_000:
        return f"≈{tokens / 1000:.1f}k"
    return f"≈{round(tokens / 1000):,}k"


class RowFigures:
    """Each row's token figure and its tooltip, by row id, as the table asks for a row it
    draws (``get``): made then, as a 50,000-row conversation's two strings a row took ~60 ms
    of the GUI thread at every count."""

    def __init__(self, count: TokenCount, ids: list[int]):
        self._tokens = dict(zip(ids, count.rows, strict=False))
        self._how = "its share of the provider's count" if count.exact else "estimated"

    def get(self, row_id: int) -> tuple[str, str] | None:
        tokens = self._tokens.get(row_id)
        if tokens is None:
            return None
        return compact(tokens), f"About {tokens:,} input tokens ({self._how})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RowFigures):
            return NotImplemented
        return self._how == other._how and self._tokens == other._tokens

    __hash__ = None  # type: ignore[assignment]


def run_text(cost: pricing.Cost | pricing.NoPrice, counted: TokenCount | None,
             total: pricing.RunningTotal) -> str:
    """Beside the run's reported usage (the run figures' label): ``counted 1,234 in · cost
    $0.0042 · conversation $0.0123 in 2 runs``."""
    from composer.models import pricing

    pieces = [f"counted {counted.figure} in"] if counted is not None else []
    pieces.append(f"cost {pricing.usd(cost.total)}" if isinstance(cost, pricing.Cost)
                  else str(cost))
    if total.priced and (total.priced > 1 or total.unpriced):
        pieces.append(f"conversation {total.describe()}")
    return " · ".join(pieces)


class TokenCounter(QObject):
    counted = Signal(object)  # TokenCount, shown
    failed = Signal(str)  # the one line of a count that fell back to the estimate
    problem_gone = Signal(str)  # that line, once a count no longer has it

    def __init__(self, window: MainWindow, run: RunController):
        super().__init__(window)
        self.window = window
        self.run = run
        self.document = window.document
        self.enabled = True
        self.last: TokenCount | None = None
        self.sent: TokenCount | None = None  # the count when the last run was sent
        self.task: asyncio.Task | None = None
        self._pricing: asyncio.Task | None = None  # a run's cost, once the table is loaded
        self._token = 0
        self._said: str | None = None  # the last failure said
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAccessibleName("Input tokens and cost")
        self.cost_label = QLabel()
        self.cost_label.setTextFormat(Qt.TextFormat.PlainText)
        self.cost_label.setAccessibleName("Last run's tokens and cost")
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.document.subscribe(self._on_document_changed)
        window.document_replaced.connect(self._on_document_replaced)
        run.run_started.connect(self._on_run_started)
        run.run_finished.connect(self._on_run_finished)
        run.state_changed.connect(self._on_run_state)
        window.closed.connect(self.shutdown)
        self.schedule()

    def schedule(self) -> None:
        """Count again once edits have settled; a count under way is dropped."""
        self._cancel()
        if self.enabled:
            self.timer.start()

    def shutdown(self) -> None:
        self.timer.stop()
        self._cancel()
        if self._pricing is not None and not self._pricing.done():
            self._pricing.cancel()
        self.document.unsubscribe(self._on_document_changed)

    def _cancel(self) -> None:
        self._token += 1
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    def _on_document_changed(self, _notice: object) -> None:
        self.schedule()

    def _on_document_replaced(self) -> None:
        self.cost_label.clear()  # the runs were of the conversation that went
        self.sent = None
        self.schedule()

    def _on_timer_timeout(self) -> None:
        if not self.enabled:
            return
        # Before the app imports asyncio (once the window is painted) no loop can be running:
        # a start slow enough for the timer to run out first must not import it for nothing.
        asyncio = sys.modules.get("asyncio")
        try:
            if asyncio is None:
                raise RuntimeError("no event loop yet")
            loop = asyncio.get_running_loop()
        except (RuntimeError, AttributeError):  # (asyncio half imported, on its worker)
            # No event loop to count on: not yet (the app starts it after the first paint) or
            # none (an offscreen screenshot, a window closing). Ask again while it is shown.
            if self.window.isVisible():
                self.timer.start()
            return
        self._token += 1
        conversation = self.document.conversation.snapshot()
        self.task = loop.create_task(self._count(conversation, list(self.document.ids),
                                                 self._token))

    async def _count(self, conversation: Conversation, ids: list[int], token: int) -> None:
        from composer.models import pricing
        from composer.providers.threads import in_thread

        # The counters bring the transport (httpx): loaded with the first count, after the
        # first paint.
        from composer.run.counting import count_tokens

        await in_thread(pricing.warm)  # loading the price table takes a moment, once
        count = await count_tokens(
            conversation, client=self.window.http_client,
            chosen=self.window.request_panel.provenance.base_url_chosen,
            trusted=self.run.key_trust)
        priced = pricing.estimate(conversation.settings, count.total, count.max_output)
        if token != self._token:
            return
        self.task = None
        self.last = count
        self.label.setText(count_text(count, priced))
        tip = count_tooltip(count, priced)
        self.label.setToolTip(tip)
        self.label.setAccessibleDescription(tip)
        self.window.table.set_tokens(RowFigures(count, ids))
        self.counted.emit(count)
        if count.problem != self._said:  # said once, not again at every edit
            if self._said:
                self.problem_gone.emit(self._said)
            if count.problem:
                self.failed.emit(count.problem)
        self._said = count.problem

    def _on_run_started(self) -> None:
        self.sent = self.last

    def _on_run_state(self, state: str) -> None:
        if state == RunState.REFUSED:  # the last run's figures do not belong beside a refusal
            self.cost_label.clear()
            self.cost_label.setToolTip("")

    def _on_run_finished(self, exchange: Exchange) -> None:
        import asyncio

        from composer.models import pricing

        if pricing.is_warm():
            self._show_run_cost(exchange)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop to load the price table on (an offscreen screenshot)
        self._pricing = loop.create_task(self._price_when_loaded(exchange))

    async def _price_when_loaded(self, exchange: Exchange) -> None:
        from composer.models import pricing
        from composer.providers.threads import in_thread

        await in_thread(pricing.warm)  # never on the GUI thread: it takes a third of a second
        self._show_run_cost(exchange)

    def _show_run_cost(self, exchange: Exchange) -> None:
        from composer.models import pricing

        cost = pricing.record_cost(exchange)
        total = pricing.running_total(r.exchange for r in self.run.record.runs)
        self.cost_label.setText(f"· {run_text(cost, self.sent, total)}")  # follows the usage
        summary = pricing.usage_summary(exchange.usage, cost)
        self.cost_label.setToolTip(
            f"{summary}\nPriced as {cost.priced_as} (genai-prices {pricing.table_version()})"
            if isinstance(cost, pricing.Cost) else summary)


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def install(window: MainWindow, run: RunController) -> TokenCounter:
    """The count first in the status bar's figures (it is about the next send), the run's
    cost last, right after the usage the provider reported."""
    counter = TokenCounter(window, run)
    bar = window.statusBar()
    bar.insertPermanentWidget(0, counter.label)
    bar.insertPermanentWidget(1, _separator())
    bar.addPermanentWidget(counter.cost_label)
    make_room(bar, [run.stats_label, counter.cost_label])  # a message is read whole
    return counter
