"""The matrix run: every target × case × repeat of a suite, in the pure core (asyncio, no Qt),
so the window and ``llm-composer run`` drive the same code.

- Calls queue in ``Lanes``: one at a time per local server, a few in parallel per provider.
- Each call is the transport's ``Call`` (retries as ``send`` does them), made by the caller's
  ``CallFactory`` (``prepare_call`` with the caller's trust rules).
- Each cell is written as an exchange file the moment it finishes (composer.run.testrun.folder),
  its verdicts inside; a request that failed is an error verdict, and the run goes on.
- A budget in dollars stops *new* calls once the spend (priced from each reply's usage; the
  cells already in the folder count) reaches it, and says so.
- ``stop()`` cancels the calls in flight: they are not written, and resume sends them again.
- Events (``CellStarted``, ``CellFinished`` with the spend so far, ``BudgetReached``) go to
  ``on_event`` as they happen, on the loop's thread, so a grid can update live.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import httpx
from msgspec import Struct, field

from composer.models.conversation import Conversation
from composer.models.events import StreamError
from composer.models.exchange import Exchange, ExchangeExtras, Prompt
from composer.providers.http import new_client
from composer.providers.refused import RequestRefused
from composer.providers.threads import in_thread
from composer.providers.transport import Call, describe_error, run_call
from composer.run.lanes import Lanes
from composer.run.testrun.checks import ERROR, Observed, Verdict
from composer.run.testrun.cost import PriceFn, estimate_tokens, exchange_cost, genai_price
from composer.run.testrun.folder import (
    BATCHES,
    CELLS,
    PENDING,
    CellRecord,
    PlannedCell,
    RunFolderError,
    batch_records,
    cell_info,
    check_folder,
    clean_temps,
    plan,
    read_cell,
    write_cell,
    write_manifest,
    write_suite_copy,
)
from composer.run.testrun.suite import Suite
from composer.run.testrun.summary import CellResult, RunSummary

# (conversation, the run's shared HTTP client) -> a Call ready to send; raises RequestRefused.
CallFactory = Callable[[Conversation, httpx.AsyncClient], Call]


class CellStarted(Struct):
    cell: PlannedCell


class CellFinished(Struct):
    result: CellResult
    spent_usd: float
    done: int  # cells with a result, this run's and the kept ones
    total: int


class BudgetReached(Struct):
    spent_usd: float
    budget_usd: float
    not_started: int


RunEvent = CellStarted | CellFinished | BudgetReached


class Estimate(Struct):
    calls: int
    cost_usd: float  # of the calls with a known price
    unpriced: list[str] = field(default_factory=list)  # targets without a known price

    def describe(self) -> str:
        calls = _counted(self.calls, "call")
        if not self.unpriced:
            return f"{calls}, estimated ${self.cost_usd:.4f}"
        known = f"estimated ${self.cost_usd:.4f} for the rest; " if self.cost_usd else ""
        return (f"{calls}, {known}no price known for "
                f"{', '.join(self.unpriced)}")


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def estimate(cells: list[PlannedCell], price: PriceFn = genai_price) -> Estimate:
    """The planned calls and their estimated cost (a token estimate priced per target)."""
    total, unpriced = 0.0, {}
    for cell in cells:
        tokens_in, tokens_out = estimate_tokens(cell.conversation)
        settings = cell.conversation.settings
        cost = price(settings.provider or "", settings.model or "", tokens_in, tokens_out)
        if cost is None:
            unpriced[cell.target.name] = None
        else:
            total += cost
    return Estimate(len(cells), total, list(unpriced))


def judge(suite: Suite, cell: PlannedCell, exchange: Exchange, price: PriceFn
          ) -> tuple[list[Verdict], float | None, str]:
    """The verdicts on one finished exchange, its cost and why the cost is unknown."""
    cost, note = exchange_cost(exchange, price)
    if exchange.composer.error is not None:
        return [Verdict(-1, "request", "request", ERROR,
                        describe_error(exchange.composer.error))], cost, note
    observed = Observed.of(exchange, cost, note)
    return [check.judge(observed, cell.case.values) for check in suite.checks], cost, note


def refused_exchange(cell: PlannedCell, message: str) -> Exchange:
    """The exchange file of a call refused before sending (no key, a bad option)."""
    settings = cell.conversation.settings.model_copy(deep=True)
    return Exchange(model=settings.model or "",
                    prompt=Prompt(messages=list(cell.conversation.messages)),
                    composer=ExchangeExtras(settings=settings,
                                            error=StreamError(message, kind="refused")))


class Runner:
    """One run of ``suite`` into ``folder``. ``resume``: keep the cells that already have a
    valid file (see composer.run.testrun.folder) and send only the others."""

    def __init__(self, suite: Suite, folder: str | Path, make_call: CallFactory, *,
                 price: PriceFn = genai_price, lanes: Lanes | None = None,
                 budget_usd: float | None = None, resume: bool = False,
                 on_event: Callable[[RunEvent], None] | None = None):
        self.suite = suite
        self.folder = Path(os.path.abspath(folder))
        self.make_call = make_call
        self.price = price
        self.lanes = lanes or Lanes()
        self.budget_usd = budget_usd if budget_usd is not None else suite.budget_usd
        self.resume = resume
        self.on_event = on_event or (lambda event: None)
        self.cells = plan(suite)
        self.kept: list[CellResult] = []
        self.to_send: list[PlannedCell] = []
        self.spent_usd = 0.0
        self.done = 0
        self.budget_reached = False
        self.stopped = False
        self._tasks: list[asyncio.Task] = []
        self._in_flight: set[asyncio.Task] = set()
        self._prepared = False

    def prepare(self, *, write: bool = True) -> list[PlannedCell]:
        """Check the folder and find the cells to send (blocking I/O: reads the cell files).
        RunFolderError for a newer folder, or one holding a run when not resuming. ``write``
        False (a dry run) changes nothing on disk: no temp file removed, no cell judged anew
        written."""
        existing = check_folder(self.folder)
        if existing is not None and not self.resume and (
                (self.folder / CELLS).exists() or (self.folder / BATCHES).exists()):
            raise RunFolderError(f"{self.folder} already holds a run: pass --resume to go on "
                                 "with it, or choose another output folder")
        if write:
            clean_temps(self.folder)
        self.kept, self.to_send = [], []
        for cell in self.cells:
            record = read_cell(self.folder, cell) if existing is not None else None
            if record is None or record.failed_request:
                self.to_send.append(cell)
                continue
            verdicts, cost, note = judge(self.suite, cell, record.exchange, self.price)
            if verdicts != record.verdicts:  # the checks changed: the reply judged anew
                info = cell_info(cell, verdicts, cost, note)
                if write:
                    write_cell(self.folder, cell, record.exchange, info)
                record = CellRecord(info["status"], verdicts, cost, note, record.latency_ms,
                                    record.request, record.exchange)
            self.kept.append(CellResult(cell, record.status, record))
        self.spent_usd = sum(r.cost_usd or 0.0 for r in self.kept)
        self.done = len(self.kept)
        self._prepared = True
        return self.to_send

    def shape(self) -> str:
        """``12 cells (2 targets × 3 cases × 2 repeats)``: what the run is made of."""
        suite = self.suite
        return (f"{_counted(len(self.cells), 'cell')} ({_counted(len(suite.targets), 'target')}"
                f" × {_counted(len(suite.cases), 'case')} × {_counted(suite.repeats, 'repeat')})")

    def estimate(self) -> Estimate:
        if not self._prepared:
            self.prepare()
        return estimate(self.to_send, self.price)

    def preflight(self, cells: list[PlannedCell] | None = None) -> list[str]:
        """Build (not send) one call per target of the cells to send (or of ``cells``): the
        refusals (a missing key, a key bound for a host nobody trusted, a bad option), one
        line each."""
        if not self._prepared:
            self.prepare()
        problems, seen = [], set()
        for cell in self.to_send if cells is None else cells:
            if cell.target_index in seen:
                continue
            seen.add(cell.target_index)
            try:
                self.make_call(cell.conversation, None)  # type: ignore[arg-type]
            except RequestRefused as exc:
                problems.append(f"target {cell.target.name}: {exc}")
        return problems

    def stop(self) -> None:
        """Send nothing more and cancel the calls in flight (they are not written); a cell
        whose reply is in is still written."""
        self.stopped = True
        for task in list(self._in_flight):
            task.cancel()

    async def run(self) -> RunSummary:
        if not self._prepared:
            await in_thread(self.prepare)
        await in_thread(write_suite_copy, self.folder, self.suite)
        total = len(self.cells)
        # Made off the loop's thread: loading the CA bundle takes 50-150 ms, a stall in a window.
        async with await in_thread(new_client) as client:
            self._tasks = [asyncio.ensure_future(self._cell(cell, client, total))
                           for cell in self.to_send]
            await asyncio.gather(*self._tasks, return_exceptions=True)
        failures = [t.exception() for t in self._tasks if not t.cancelled() and t.exception()]
        if failures:  # a cell file that could not be written (disk full...): say so
            raise failures[0]
        if self.budget_reached:
            not_started = sum(1 for t in self._tasks
                              if not t.cancelled() and t.exception() is None
                              and t.result() is None)
            self.on_event(BudgetReached(self.spent_usd, self.budget_usd or 0.0, not_started))
        # The results in hand are what the files say (each was written before it counted):
        # reading 300 files back would cost more than the calls against a fast server.
        finished = {r.cell.key: r for r in self.kept}
        finished.update((r.cell.key, r) for t in self._tasks
                        if not t.cancelled() and (r := t.result()) is not None)
        summary = RunSummary(self.folder, self.suite, [
            finished.get(cell.key) or CellResult(cell, PENDING) for cell in self.cells],
            batch_records(self.folder))
        await in_thread(write_manifest, self.folder, summary.manifest())
        return summary

    def _over_budget(self) -> bool:
        if self.budget_usd is not None and self.spent_usd >= self.budget_usd:
            self.budget_reached = True
        return self.budget_reached

    async def _cell(self, cell: PlannedCell, client: httpx.AsyncClient, total: int
                    ) -> CellResult | None:
        async def send() -> tuple[Exchange, dict] | None:
            if self.stopped or self._over_budget():
                return None
            self.on_event(CellStarted(cell))
            try:
                call = self.make_call(cell.conversation, client)
            except RequestRefused as exc:
                exchange = refused_exchange(cell, str(exc))
            else:
                task = asyncio.current_task()
                self._in_flight.add(task)
                try:
                    exchange = await run_call(call, reraise_cancel=True)
                finally:
                    self._in_flight.discard(task)
            # Counted before the lane lets the next call go: the budget sees this spend.
            verdicts, cost, note = judge(self.suite, cell, exchange, self.price)
            self.spent_usd += cost or 0.0
            info = cell_info(cell, verdicts, cost, note)
            # Written before the lane lets the next call go, too: a kill loses at most the one
            # call each lane has under way, never also a finished one waiting for its file.
            await in_thread(write_cell, self.folder, cell, exchange, info)
            return exchange, info

        sent = await self.lanes.run(cell.target, send)
        if sent is None:
            return None
        exchange, info = sent
        self.done += 1
        verdicts = [Verdict.from_dict(v) for v in info["verdicts"]]
        cost, note = info["cost_usd"], info.get("cost_note", "")
        record = CellRecord(info["status"], verdicts, cost, note,
                            exchange.composer.timing.total_ms, cell.request, exchange)
        result = CellResult(cell, info["status"], record)
        self.on_event(CellFinished(result, self.spent_usd, self.done, total))
        return result
