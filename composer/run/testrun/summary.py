"""A run's results, rebuilt from its folder alone: every cell's status and verdicts, figures per
target (pass rate, failures, errors, cost, mean latency), the manifest, and the change against a
baseline run.

This is what a results grid shows: rows are cases, columns are targets, ``RunSummary.cell(t,
case, repeat)`` is one cell.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from composer.run.testrun.checks import ERROR, FAIL, PASS, SKIP, Verdict
from composer.run.testrun.folder import (
    MANIFEST,
    PENDING,
    RUN_VERSION,
    CellRecord,
    PlannedCell,
    RunFolderError,
    batch_records,
    check_folder,
    clean_temps,
    plan,
    read_cell,
    write_manifest,
)
from composer.run.testrun.suite import Suite, SuiteError, _Reader, suite_from_data


class CellResult(Struct):
    cell: PlannedCell
    status: str  # pass | fail | error | pending (no valid file yet)
    record: CellRecord | None = None

    @property
    def verdicts(self) -> list[Verdict]:
        return self.record.verdicts if self.record else []

    @property
    def cost_usd(self) -> float | None:
        return self.record.cost_usd if self.record else None

    @property
    def latency_ms(self) -> float | None:
        return self.record.latency_ms if self.record else None

    def __repr__(self) -> str:
        return f"<CellResult {self.cell.path} {self.status}>"

    def to_dict(self) -> dict[str, Any]:
        c = self.cell
        return {"target": c.target_index, "case": c.case.id, "repeat": c.repeat,
                "file": c.path if self.record else None, "status": self.status,
                "verdicts": [v.to_dict() for v in self.verdicts], "cost_usd": self.cost_usd,
                "latency_ms": self.latency_ms}


class TargetStats(Struct):
    name: str
    cells: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    pending: int = 0
    cost_usd: float = 0.0
    cost_unknown: int = 0  # finished cells without a price
    latencies: list[float] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.done if self.done else None

    @property
    def mean_latency_ms(self) -> float | None:
        return sum(self.latencies) / len(self.latencies) if self.latencies else None

    def add(self, result: CellResult) -> None:
        self.cells += 1
        if result.status == PENDING:
            self.pending += 1
            return
        self.passed += result.status == PASS
        self.failed += result.status == FAIL
        self.errors += result.status == ERROR
        if result.cost_usd is None:
            self.cost_unknown += 1
        else:
            self.cost_usd += result.cost_usd
        if result.latency_ms is not None and result.status != ERROR:
            self.latencies.append(result.latency_ms)

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.name, "cells": self.cells, "passed": self.passed,
                "failed": self.failed, "errors": self.errors, "pending": self.pending,
                "pass_rate": self.pass_rate, "cost_usd": round(self.cost_usd, 8),
                "cost_unknown": self.cost_unknown, "mean_latency_ms": self.mean_latency_ms}


class RunSummary(Struct):
    folder: Path
    suite: Suite
    results: list[CellResult]
    batches: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        # Short: asyncio's run() reprs the main task's result on the way out, and the default
        # repr of every cell, conversation and exchange cost a second for a 300-cell run.
        return f"<RunSummary {self.folder} {self.counts()}>"

    def cell(self, target_index: int, case_id: str, repeat: int = 1) -> CellResult | None:
        for result in self.results:
            if result.cell.key == (target_index, case_id, repeat):
                return result
        return None

    def stats(self) -> list[TargetStats]:
        out = [TargetStats(t.name) for t in self.suite.targets]
        for result in self.results:
            out[result.cell.target_index].add(result)
        return out

    @property
    def spent_usd(self) -> float:
        return sum(r.cost_usd or 0.0 for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {PASS: 0, FAIL: 0, ERROR: 0, PENDING: 0}
        for result in self.results:
            out[result.status] += 1
        return out

    def manifest(self) -> dict[str, Any]:
        return {"composer": {"kind": "run", "format_version": RUN_VERSION},
                "name": self.suite.name, "suite": "suite.json",
                "updated_utc": datetime.now(UTC).replace(tzinfo=None).isoformat(),
                "targets": [t.to_dict() for t in self.suite.targets],
                "checks": [c.to_dict() for c in self.suite.checks],
                "counts": self.counts(), "spent_usd": round(self.spent_usd, 8),
                "summary": [s.to_dict() for s in self.stats()],
                "cells": [r.to_dict() for r in self.results], "batches": self.batches}


def load_run(folder: str | Path, *, write: bool = False) -> RunSummary:
    """The run in ``folder``, from its suite copy and cell files alone (the manifest is not
    read); ``write``: rewrite the manifest from them. RunFolderError for a folder that is not a
    run's or that a newer Composer wrote."""
    folder = Path(folder)
    data = check_folder(folder)
    if data is None:
        raise RunFolderError(f"{folder}: not a run folder (no suite.json)")
    try:
        suite = suite_from_data(data, _Reader(folder, str(folder / "suite.json"), False,
                                              "--allow-paths"))
    except SuiteError as exc:
        raise RunFolderError(str(exc)) from None
    return summarize(folder, suite, plan(suite), write=write)


def summarize(folder: Path, suite: Suite, cells: list[PlannedCell], *,
              write: bool = False) -> RunSummary:
    clean_temps(folder)
    results = []
    for cell in cells:
        record = read_cell(folder, cell)
        results.append(CellResult(cell, record.status if record else PENDING, record))
    summary = RunSummary(folder, suite, results, batch_records(folder))
    if write:
        write_manifest(folder, summary.manifest())
    return summary


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST


# -- against a baseline -------------------------------------------------------------------------


class CellChange(Struct):
    target: str
    case: str
    repeat: int
    before: str  # a status, or "absent" when the baseline has no such cell
    after: str
    checks_before: int  # checks passed
    checks_after: int


class TargetChange(Struct):
    target: str
    pass_rate_before: float | None
    pass_rate_after: float | None
    score_before: float | None  # the share of check verdicts that passed
    score_after: float | None

    @property
    def pass_delta(self) -> float | None:
        if self.pass_rate_before is None or self.pass_rate_after is None:
            return None
        return self.pass_rate_after - self.pass_rate_before

    @property
    def score_delta(self) -> float | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before


class Comparison(Struct):
    targets: list[TargetChange]
    changed: list[CellChange]  # only the cells whose status changed


def _score(results: list[CellResult]) -> float | None:
    judged = [v for r in results for v in r.verdicts if v.status != SKIP]
    return sum(v.status == PASS for v in judged) / len(judged) if judged else None


def compare(baseline: RunSummary, current: RunSummary) -> Comparison:
    """Pass-rate and score deltas per target, and the cells whose status changed, matching
    targets by name and cells by case id and repeat."""
    before = {(baseline.suite.targets[r.cell.target_index].name, r.cell.case.id,
               r.cell.repeat): r for r in baseline.results}
    base_stats = {s.name: s for s in baseline.stats()}
    targets = []
    for t, stats in enumerate(current.stats()):
        mine = [r for r in current.results if r.cell.target_index == t]
        theirs = [r for k, r in before.items() if k[0] == stats.name]
        old = base_stats.get(stats.name)
        targets.append(TargetChange(stats.name, old.pass_rate if old else None,
                                    stats.pass_rate, _score(theirs) if old else None,
                                    _score(mine)))
    changed = []
    for result in current.results:
        name = current.suite.targets[result.cell.target_index].name
        old = before.get((name, result.cell.case.id, result.cell.repeat))
        old_status = old.status if old else "absent"
        if old_status != result.status:
            changed.append(CellChange(
                name, result.cell.case.id, result.cell.repeat, old_status, result.status,
                sum(v.status == PASS for v in old.verdicts) if old else 0,
                sum(v.status == PASS for v in result.verdicts)))
    return Comparison(targets, changed)
