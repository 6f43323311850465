"""The results grid of a test run, without Qt: rows are the suite's cases, columns its targets, a
cell holds one result per repeat. It fills from a ``RunSummary`` (a reopened run folder) or one
``CellResult`` at a time as cells finish (``add``), and answers what a view shows: a cell's
symbols per repeat (``✓✓✗``), its status, the start of its reply, every verdict's why; a
column's pass rate, cost and mean latency (``TargetStats``, as the summary computes them); the
rows left by the filters "only failures" and "only cases whose targets differ"; and, against a
baseline run (``compare``), each column's pass-rate delta and the cells whose status changed.
"""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct, field

from composer.models.parts import TextPart, ToolCallPart
from composer.run.testrun.checks import ERROR, FAIL, PASS, SKIP
from composer.run.testrun.folder import PENDING
from composer.run.testrun.suite import Suite
from composer.run.testrun.summary import (
    CellResult,
    Comparison,
    RunSummary,
    TargetChange,
    TargetStats,
    compare,
)

SYMBOLS = {PASS: "✓", FAIL: "✗", ERROR: "!", SKIP: "–", PENDING: "·"}
RUNNING = "running"


def reply_text(result: CellResult | None) -> str:
    """The reply's text (its tool calls as ``name(args)`` when it has no text); the error's
    message for a failed request."""
    if result is None or result.record is None:
        return ""
    exchange = result.record.exchange
    if exchange.composer.error is not None:
        return next((v.why for v in result.verdicts if v.status == ERROR),
                    exchange.composer.error.message)
    parts = [p for m in exchange.messages for p in m.parts]
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    if text.strip():
        return text
    return " ".join(f"{p.name}({p.arguments})" for p in parts if isinstance(p, ToolCallPart))


def one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text[:limit * 4].split())  # a long reply's start is all that is shown
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


class GridCell(Struct):
    results: list[CellResult | None]  # one per repeat
    running: int = 0  # repeats in flight
    _previews: dict[int, str] = field(default_factory=dict)  # limit -> text

    def touch(self) -> None:
        """The cell changed: what was worked out from it is stale."""
        self._previews.clear()

    @property
    def status(self) -> str:
        """error / fail / pass over the repeats that finished; pending when none has."""
        done = [r.status for r in self.results if r is not None and r.status != PENDING]
        if not done:
            return RUNNING if self.running else PENDING
        return ERROR if ERROR in done else FAIL if FAIL in done else PASS

    def symbols(self) -> str:
        return "".join(SYMBOLS[r.status if r is not None else PENDING] for r in self.results)

    def first(self) -> CellResult | None:
        """The repeat that explains the cell: the first with the cell's status (a failing one
        for ``✓✓✗``), else the first with a reply."""
        done = [r for r in self.results if r is not None and r.record is not None]
        status = self.status
        return next((r for r in done if r.status == status), done[0] if done else None)

    def preview(self, limit: int = 120) -> str:
        """The start of the reply on one line (worked out once: a view asks at every paint)."""
        if limit not in self._previews:
            self._previews[limit] = one_line(reply_text(self.first()), limit)
        return self._previews[limit]

    def tooltip(self) -> str:
        """Every repeat's status and every verdict with its why."""
        lines = []
        for repeat, result in enumerate(self.results, start=1):
            head = f"repeat {repeat}: " if len(self.results) > 1 else ""
            if result is None or result.status == PENDING:
                lines.append(f"{head}not run yet")
                continue
            figures = []
            if result.latency_ms is not None:
                figures.append(f"{result.latency_ms:,.0f} ms")
            if result.cost_usd is not None:
                figures.append(f"${result.cost_usd:.5f}")
            lines.append(f"{head}{result.status}" + (f" ({', '.join(figures)})"
                                                       if figures else ""))
            lines += [f"  {SYMBOLS[v.status]} {v.status} · {v.label}: {v.why}"
                      for v in result.verdicts]
        return "\n".join(lines)


class Grid:
    """Cases × targets of ``suite`` (see the module docstring)."""

    def __init__(self, suite: Suite):
        self.suite = suite
        self.row_of = {case.id: i for i, case in enumerate(suite.cases)}
        self.cells = [[GridCell([None] * suite.repeats) for _ in suite.targets]
                      for _ in suite.cases]
        self.comparison: Comparison | None = None
        self.baseline_name = ""
        self._baseline: RunSummary | None = None
        self._changed: set[tuple[str, str, int]] = set()

    @classmethod
    def of_summary(cls, summary: RunSummary) -> Grid:
        grid = cls(summary.suite)
        for result in summary.results:
            grid.add(result)
        return grid

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def columns(self) -> int:
        return len(self.suite.targets)

    def case_title(self, row: int) -> str:
        """A row's header: the case's id and its first value (``case-3\nCanada``)."""
        case = self.suite.cases[row]
        value = next((v for k, v in case.values.items() if k not in ("id", "expected")), "")
        return f"{case.id}\n{one_line(value, 24)}" if value else case.id

    def cell(self, row: int, column: int) -> GridCell:
        return self.cells[row][column]

    def where(self, result: CellResult) -> tuple[int, int] | None:
        row = self.row_of.get(result.cell.case.id)
        if row is None or result.cell.target_index >= self.columns:
            return None
        return row, result.cell.target_index

    def started(self, target_index: int, case_id: str) -> tuple[int, int] | None:
        row = self.row_of.get(case_id)
        if row is None or target_index >= self.columns:
            return None
        cell = self.cells[row][target_index]
        cell.running += 1
        cell.touch()
        return row, target_index

    def add(self, result: CellResult) -> tuple[int, int] | None:
        """Put a (finished or pending) result in its cell; its (row, column)."""
        at = self.where(result)
        if at is None:
            return None
        cell = self.cells[at[0]][at[1]]
        if result.status != PENDING and cell.running:
            cell.running -= 1
        if 1 <= result.cell.repeat <= len(cell.results):
            cell.results[result.cell.repeat - 1] = result
        cell.touch()
        return at

    def end_run(self) -> None:
        """The run ended (or stopped): no cell is running any more."""
        for row in self.cells:
            for cell in row:
                cell.running = 0
                cell.touch()

    def results(self) -> list[CellResult]:
        return [r for row in self.cells for cell in row for r in cell.results if r is not None]

    def summary(self) -> RunSummary:
        return RunSummary(Path(), self.suite, self.results())

    def stats(self) -> list[TargetStats]:
        out = [TargetStats(t.name) for t in self.suite.targets]
        for row in self.cells:
            for column, cell in enumerate(row):
                for result in cell.results:
                    if result is not None:
                        out[column].add(result)
        return out

    # -- filters --------------------------------------------------------------------------------

    def row_failed(self, row: int) -> bool:
        return any(cell.status in (FAIL, ERROR) for cell in self.cells[row])

    def row_differs(self, row: int) -> bool:
        """The targets that finished this case did not all get the same verdicts."""
        seen = {cell.symbols() for cell in self.cells[row] if cell.status not in
                (PENDING, RUNNING)}
        return len(seen) > 1

    def visible_rows(self, only_failures: bool = False, only_differ: bool = False) -> list[int]:
        return [r for r in range(self.rows)
                if (not only_failures or self.row_failed(r))
                and (not only_differ or self.row_differs(r))]

    # -- baseline -------------------------------------------------------------------------------

    def set_baseline(self, baseline: RunSummary | None, name: str = "") -> Comparison | None:
        """Compare with ``baseline`` (None: no baseline); recomputed by ``refresh_baseline``."""
        self._baseline = baseline
        self.baseline_name = name
        return self.refresh_baseline()

    def refresh_baseline(self) -> Comparison | None:
        baseline = self._baseline
        if baseline is None:
            self.comparison, self._changed = None, set()
            return None
        self.comparison = compare(baseline, self.summary())
        self._changed = {(c.target, c.case, c.repeat) for c in self.comparison.changed
                         if c.before != "absent" and c.after != PENDING}
        return self.comparison

    def change(self, column: int) -> TargetChange | None:
        if self.comparison is None or column >= len(self.comparison.targets):
            return None
        return self.comparison.targets[column]

    def changed(self, row: int, column: int) -> list[int]:
        """The repeats of this cell whose status differs from the baseline's."""
        name = self.suite.targets[column].name
        case = self.suite.cases[row].id
        return [r for r in range(1, self.suite.repeats + 1) if (name, case, r) in self._changed]

    # -- headers --------------------------------------------------------------------------------

    def header(self, column: int, stats: TargetStats | None = None) -> str:
        """A column's header: the target, its pass rate (and the change against the baseline),
        cost and mean latency."""
        s = stats or self.stats()[column]
        lines = [self.suite.targets[column].name]
        rate = f"pass {s.pass_rate:.0%} ({s.passed}/{s.done})" if s.pass_rate is not None \
            else "pass –"
        change = self.change(column)
        if change is not None and change.pass_delta is not None:
            delta = change.pass_delta
            arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
            rate += f" {arrow}{abs(delta):.0%}" if delta else " = baseline"
        lines.append(rate)
        cost = ("–" if not s.done else "no price known" if s.cost_unknown == s.done
                else f"${s.cost_usd:.4f}")
        latency = f"{s.mean_latency_ms:,.0f} ms" if s.mean_latency_ms is not None else "–"
        lines.append(f"{cost} · {latency}")
        return "\n".join(lines)
