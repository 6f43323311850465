"""Batch mode: a test run through the providers' own batch APIs (composer.run.testrun.batch_apis)
at half the price, into the same run folder and the same cell files as a direct run.

- ``BatchRun(runner)`` takes a prepared-or-not ``Runner``: its suite, folder, call factory (keys
  and trust exactly as a direct run), price and budget; ``prepare()`` finds the cells to send as
  the runner does, minus those already in a batch that is still running.
- ``await run(wait=False)`` polls the batches recorded in ``RUN/batches/`` first: a finished
  batch's results are read into Exchanges (the protocol's whole-reply parser, the same events a
  stream gives), judged by the runner's ``judge`` and written by ``write_cell`` (an errored
  request is an error verdict, as in a direct run); then it submits the cells still to send,
  split per target and by the provider's limits (``LIMITS``), and records each batch's id in a
  file before anything else happens. A batch that failed, expired or was cancelled leaves its
  cells without a file: the next ``run`` submits them again. Each cell is submitted at most
  once per ``run``, so a request that always fails cannot loop.
- ``wait``: poll again, with a growing interval, until no batch is running.

A batch file (``RUN/batches/bNNN-tT-API.json``) is written atomically: after the provider
accepted the batch (with its id), after each poll (the provider's state) and once its results
are in (``fetched``). A process killed between the provider's answer and that first write loses
the batch (its cells are submitted again on resume; the provider may still run the lost one).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from msgspec import Struct

from composer.models.assembler import Assembler
from composer.models.events import StreamError
from composer.models.exchange import Exchange, LogEntry
from composer.models.files import atomic_write_text
from composer.providers.base import Frame, HttpRequest, RequestRefused
from composer.providers.guard import open_parser
from composer.providers.http import new_client
from composer.providers.threads import in_thread
from composer.providers.transport import Call, build_exchange
from composer.providers.whole import whole_replies
from composer.run.testrun import batch_apis
from composer.run.testrun.batch_apis import (
    ENDED,
    LIMITS,
    PENDING,
    BatchApi,
    BatchFailed,
    Http,
    Limits,
    Outcome,
    Status,
)
from composer.run.testrun.cost import BATCH_PRICE_NOTE, BATCH_RATE
from composer.run.testrun.folder import (
    BATCHES,
    RUN_VERSION,
    CellRecord,
    PlannedCell,
    RunFolderError,
    cell_info,
    check_version,
    read_json_file,
    write_cell,
    write_manifest,
    write_suite_copy,
)
from composer.run.testrun.runner import (
    BudgetReached,
    CellFinished,
    Estimate,
    Runner,
    estimate,
    judge,
    refused_exchange,
)
from composer.run.testrun.summary import CellResult, RunSummary, load_run

BATCH_VERSION = 1
SUBMITTED, FETCHED = "submitted", "fetched"  # a record's states besides the poll's end states
POLL_FIRST, POLL_GROWTH, POLL_MAX = 10.0, 1.5, 300.0  # seconds between polls with --wait


class BatchSubmitted(Struct):
    file: str
    api: str
    id: str
    target: str
    requests: int


class BatchPolled(Struct):
    file: str
    api: str
    id: str
    state: str  # PENDING, ENDED, FAILED, EXPIRED, CANCELLED
    detail: str


class BatchProblem(Struct):
    """A batch API call that failed (the batch stays as it was; the next run tries again)."""

    file: str
    message: str


BatchEvent = BatchSubmitted | BatchPolled | BatchProblem


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def non_streamed(call: Call) -> HttpRequest:
    """The request ``call`` sends, for a whole reply: the protocol's own body with streaming
    off, the call's headers (its key, the settings' extra headers)."""
    built = call.protocol.build_request(call.conversation, base_url=call.base_url,
                                        api_key=None, stream=False)
    return HttpRequest("POST", built.url, dict(call.request.headers), built.body, built.notes,
                       built.losses)


def batch_exchange(call: Call, outcome: Outcome, info: dict[str, Any],
                   turnaround_ms: float | None) -> Exchange:
    """The Exchange a direct send of ``call`` gives, from a batch's whole reply (or its error):
    the protocol's whole-reply parser (composer.providers.whole, inside the stream guard)
    feeds the same Assembler; the raw reply is its one logged event; ``composer.batch`` says
    which batch it came by (and that it is priced so)."""
    call.request = non_streamed(call)
    call.status = outcome.status
    call.timing.started_utc = info.get("submitted_utc")
    call.timing.total_ms = turnaround_ms
    assembler = Assembler()
    protocol = whole_replies(call.protocol)
    if outcome.error is not None:
        assembler.feed(outcome.error)
    elif protocol is None:
        assembler.feed(StreamError(f"{call.protocol_name} has no whole-reply reader"))
    else:
        data = json.dumps(outcome.reply, ensure_ascii=False)
        call.log.append(LogEntry(0.0, data))
        call.parser = open_parser(protocol)
        for event in [*call.parser.feed(Frame(data)), *call.parser.close()]:
            assembler.feed(event)
    exchange = build_exchange(call, assembler)
    exchange.composer.batch = {"api": info["api"], "id": info["id"],  # type: ignore[attr-defined]
                               "custom_id": outcome.custom_id, "price": BATCH_PRICE_NOTE}
    return exchange


def item_size(item: dict[str, Any]) -> int:
    """The bytes one request adds to a batch (a JSONL line with its newline)."""
    return len(json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")) + 1


def split(items: list[tuple[PlannedCell, dict[str, Any]]], limits: Limits
          ) -> list[list[tuple[PlannedCell, dict[str, Any]]]]:
    """``items`` in order, cut into batches within the request count and byte size limits
    (an item is never over the byte limit: the caller keeps those out)."""
    chunks: list[list[tuple[PlannedCell, dict[str, Any]]]] = []
    size = 0
    for cell, item in items:
        this = item_size(item)
        if not chunks or len(chunks[-1]) >= limits.requests or size + this > limits.bytes:
            chunks.append([])
            size = 0
        chunks[-1].append((cell, item))
        size += this
    return chunks


class BatchRun:
    """A run of ``runner``'s suite into its folder through the batch APIs."""

    def __init__(self, runner: Runner, *, limits: dict[str, Limits] | None = None,
                 poll_first: float = POLL_FIRST, poll_max: float = POLL_MAX,
                 on_event: Callable[[Any], None] | None = None):
        self.runner = runner
        self.folder = runner.folder
        self.limits = {**LIMITS, **(limits or {})}
        self.poll_first, self.poll_max = poll_first, poll_max
        self.on_event = on_event or (lambda event: None)
        self.records: dict[str, dict[str, Any]] = {}  # file name -> record
        self.to_submit: list[PlannedCell] = []
        self.fetched_now: set[str] = set()  # cell paths written this run: not submitted again
        self.submitted_now: set[str] = set()
        self.stuck: set[str] = set()  # batch files whose poll or fetch failed in this run
        self._index = {cell.path: n for n, cell in enumerate(runner.cells)}
        self._prepared = False

    # -- before sending ---------------------------------------------------------------------

    def prepare(self, *, write: bool = True) -> list[PlannedCell]:
        """The cells to submit: the runner's cells to send, minus those in a running batch
        (blocking I/O). RunFolderError for a used folder without resume, or a newer one."""
        batches = self.folder / BATCHES
        self.runner.prepare(write=write)
        self.records = {}
        for path in sorted(batches.glob("*.json")) if batches.is_dir() else []:
            record = read_json_file(path)
            check_version(record, "batch", path, BATCH_VERSION)
            self.records[path.name] = record
        waiting = {c.get("path") for r in self.open_records() for c in entries(r)}
        self.to_submit = [c for c in self.runner.to_send if c.path not in waiting]
        self._prepared = True
        return self.to_submit

    def open_records(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r.get("state") == SUBMITTED]

    def estimate(self) -> Estimate:
        """The cells to submit and their estimated cost at the batch rate."""
        if not self._prepared:
            self.prepare()
        found = estimate(self.to_submit, self.runner.price)
        return Estimate(found.calls, found.cost_usd * BATCH_RATE, found.unpriced)

    def preflight(self) -> list[str]:
        """The runner's refusals (keys, trust, options), and targets without a batch API."""
        if not self._prepared:
            self.prepare()
        problems = []
        targets = {c.target_index: c.target for c in self.to_submit}
        targets.update((r.get("target"), self.runner.suite.targets[r["target"]])
                       for r in self.open_records()
                       if isinstance(r.get("target"), int)
                       and 0 <= r["target"] < len(self.runner.suite.targets))
        for target in targets.values():
            if batch_apis.api_for(target.preset().name) is None:
                problems.append(f"target {target.name}: {target.preset().title} has no batch API "
                                "Composer can use (OpenAI, Anthropic and Gemini have one): "
                                "run it without --batch")
        if problems:
            return problems
        polled = [cell for r in self.open_records() for e in entries(r)[:1]
                  if (cell := self._cell(e)) is not None]
        return self.runner.preflight(self.to_submit + polled)

    def _cell(self, entry: dict[str, Any]) -> PlannedCell | None:
        index = self._index.get(entry.get("path"))  # type: ignore[arg-type]
        return self.runner.cells[index] if index is not None else None

    # -- the run ----------------------------------------------------------------------------

    async def run(self, *, wait: bool = False) -> RunSummary:
        if not self._prepared:
            await in_thread(self.prepare)
        await in_thread(write_suite_copy, self.folder, self.runner.suite)
        async with new_client() as client:
            await self._poll_round(client)
            await self._submit(client, [c for c in self._still_to_submit()])
            delay = self.poll_first
            while wait and any(name not in self.stuck for name, record in self.records.items()
                               if record.get("state") == SUBMITTED):
                await asyncio.sleep(delay)
                delay = min(delay * POLL_GROWTH, self.poll_max)
                await self._poll_round(client)
        summary = await in_thread(load_run, self.folder)
        await in_thread(write_manifest, self.folder, summary.manifest())
        return summary

    def _still_to_submit(self) -> list[PlannedCell]:
        """After a poll: the cells without a result that are in no running batch, not fetched
        or submitted in this run."""
        waiting = {c.get("path") for r in self.open_records() for c in entries(r)}
        skip = waiting | self.fetched_now | self.submitted_now
        # A batch that ended in this run's poll without a cell's result (failed, expired, a
        # result missing) frees that cell.
        freed = {c.get("path") for r in self.records.values()
                 if r.get("_polled_now") and r.get("state") != SUBMITTED
                 for c in entries(r)}
        wanted = {c.path for c in self.to_submit} | freed
        return [c for c in self.runner.cells if c.path in wanted and c.path not in skip]

    def _within_budget(self, cells: list[PlannedCell]) -> list[PlannedCell]:
        budget = self.runner.budget_usd
        if budget is None:
            return cells
        spent = self.runner.spent_usd + sum(
            (estimate([c], self.runner.price).cost_usd * BATCH_RATE) for r in
            self.open_records() for e in entries(r) if (c := self._cell(e)))
        kept = []
        for cell in cells:
            cost = estimate([cell], self.runner.price).cost_usd * BATCH_RATE
            if spent + cost > budget:
                self.runner.budget_reached = True
                self.on_event(BudgetReached(spent, budget, len(cells) - len(kept)))
                break
            spent += cost
            kept.append(cell)
        return kept

    async def _submit(self, client: httpx.AsyncClient, cells: list[PlannedCell]) -> None:
        by_target: dict[int, list[PlannedCell]] = {}
        for cell in self._within_budget(cells):
            by_target.setdefault(cell.target_index, []).append(cell)
        for cells_of in by_target.values():
            await self._submit_target(client, cells_of)

    async def _submit_target(self, client: httpx.AsyncClient, cells: list[PlannedCell]) -> None:
        target = cells[0].target
        api = batch_apis.api_for(target.preset().name)
        if api is None:
            raise RunFolderError(f"target {target.name}: no batch API")
        items, call, limits = [], None, self.limits[api.name]
        for cell in cells:
            try:
                call = self.runner.make_call(cell.conversation, client)
                item = api.item(f"cell-{self._index[cell.path] + 1}", non_streamed(call))
                if (size := item_size(item)) > limits.bytes:
                    raise RequestRefused(f"the request is {size:,} bytes, over the {api.name} "
                                         f"batch limit of {limits.bytes:,}: run it without "
                                         "--batch")
            except RequestRefused as exc:
                await self._write(cell, refused_exchange(cell, str(exc)))
                continue
            items.append((cell, item))
        if call is None or not items:
            return
        http = Http(client, call)
        for chunk in split(items, self.limits[api.name]):
            name = f"b{self._next_number():03d}-t{target_index(chunk)}-{api.name}.json"
            try:
                made = await api.create(http, [item for _, item in chunk],
                                        f"composer-{self.folder.name}-{name[:-5]}")
            except BatchFailed as exc:
                self.on_event(BatchProblem(name, str(exc)))
                continue
            record = {"composer": {"kind": "batch", "format_version": BATCH_VERSION,
                                   "run_format": RUN_VERSION},
                      "api": api.name, **made, "target": chunk[0][0].target_index,
                      "target_name": target.name, "state": SUBMITTED,
                      "submitted_utc": _now(), "detail": "submitted",
                      "cells": [{"custom_id": self._custom_id(item), "path": cell.path,
                                 "request": cell.request} for cell, item in chunk]}
            self.records[name] = record
            await in_thread(self._save, name)
            self.submitted_now.update(cell.path for cell, _ in chunk)
            self.on_event(BatchSubmitted(name, api.name, made["id"], target.name, len(chunk)))

    def _next_number(self) -> int:
        """After the highest batch file's number (a removed file's number is not reused)."""
        numbers = [int(m[1]) for name in self.records if (m := re.match(r"b(\d+)-", name))]
        return max(numbers, default=0) + 1

    @staticmethod
    def _custom_id(item: dict[str, Any]) -> str:
        return item.get("custom_id") or item["metadata"]["key"]

    def _save(self, name: str) -> None:
        (self.folder / BATCHES).mkdir(parents=True, exist_ok=True)
        record = {k: v for k, v in self.records[name].items() if not k.startswith("_")}
        atomic_write_text(self.folder / BATCHES / name,
                          json.dumps(record, ensure_ascii=False, indent=1) + "\n")

    async def _poll_round(self, client: httpx.AsyncClient) -> None:
        for name, record in list(self.records.items()):
            if record.get("state") == SUBMITTED and name not in self.stuck:
                await self._poll(client, name, record)

    async def _poll(self, client: httpx.AsyncClient, name: str, record: dict[str, Any]) -> None:
        cells = [cell for e in entries(record) if (cell := self._cell(e)) is not None]
        api = batch_apis.api_named(record.get("api"))
        if not cells or api is None:
            return
        try:
            call = self.runner.make_call(cells[0].conversation, client)
            http = Http(client, call)
            status = await api.status(http, record)
            record["detail"] = status.detail
            self.on_event(BatchPolled(name, api.name, str(record.get("id")), status.state,
                                      status.detail))
            if status.state == PENDING:
                await in_thread(self._save, name)
                return
            if status.has_results:
                await self._fetch(client, api, http, record, status)
        except (BatchFailed, RequestRefused) as exc:
            # Left as it is on disk (the next run tries again), not polled again in this one.
            self.stuck.add(name)
            self.on_event(BatchProblem(name, str(exc)))
            return
        record["state"] = FETCHED if status.state == ENDED else status.state
        record["ended_utc"] = _now()
        record["_polled_now"] = True
        await in_thread(self._save, name)

    async def _fetch(self, client: httpx.AsyncClient, api: BatchApi, http: Http,
                     record: dict[str, Any], status: Status) -> None:
        outcomes = await api.results(http, record, status)
        by_id = {e.get("custom_id"): e for e in entries(record)}
        turnaround = _turnaround_ms(record.get("submitted_utc"))
        info = {"api": api.name, "id": record.get("id"),
                "submitted_utc": record.get("submitted_utc")}
        written = 0
        for outcome in outcomes:
            entry = by_id.get(outcome.custom_id)
            cell = self._cell(entry) if entry else None
            if cell is None or cell.request != entry.get("request"):
                continue  # not ours, or the suite changed since: the cell is sent anew
            try:
                call = self.runner.make_call(cell.conversation, client)
            except RequestRefused as exc:
                exchange = refused_exchange(cell, str(exc))
            else:
                exchange = batch_exchange(call, outcome, info, turnaround)
            await self._write(cell, exchange)
            written += 1
        record["fetched"] = written

    async def _write(self, cell: PlannedCell, exchange: Exchange) -> None:
        runner = self.runner
        verdicts, cost, note = judge(runner.suite, cell, exchange, runner.price)
        info = cell_info(cell, verdicts, cost, note)
        await in_thread(write_cell, self.folder, cell, exchange, info)
        runner.spent_usd += cost or 0.0
        runner.done += 1
        self.fetched_now.add(cell.path)
        record = CellRecord(info["status"], verdicts, cost, note,
                            exchange.composer.timing.total_ms, cell.request, exchange)
        self.on_event(CellFinished(CellResult(cell, info["status"], record), runner.spent_usd,
                                   runner.done, len(runner.cells)))


def entries(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A batch file's cells: ``{custom_id, path, request}`` each."""
    cells = record.get("cells")
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def target_index(chunk: list[tuple[PlannedCell, dict[str, Any]]]) -> int:
    return chunk[0][0].target_index + 1


def _turnaround_ms(submitted: Any) -> float | None:
    """From submission to the results, as a batch cell's latency."""
    if not isinstance(submitted, str):
        return None
    try:
        start = datetime.fromisoformat(submitted).replace(tzinfo=UTC)
    except ValueError:
        return None
    return round((datetime.now(UTC) - start).total_seconds() * 1000, 1)


def has_batches(folder: str | Path) -> bool:
    """The folder holds a run started in batch mode."""
    return any((Path(folder) / BATCHES).glob("*.json")) if (Path(folder) / BATCHES).is_dir() \
        else False

