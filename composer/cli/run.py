"""``llm-composer run SUITE.json``: a test run (targets × cases × repeats, with checks) without a
window, into a run folder (composer.run.testrun.folder).

Before sending it prints the plan: the cells, how many are already done (``--resume``), the
calls to make and their estimated cost. While it runs: a progress bar on a terminal (cells done
of all, spend so far), a line per finished cell otherwise. At the end: a summary table per
target (pass rate, failures, errors, cost, mean latency) on stdout.

Exit status:
  0  every cell ran and every check passed (a skipped check, e.g. a cost without a known price,
     does not fail it)
  1  a check failed or a cell errored (the run went on; the verdicts say why)
  2  nothing was sent: a bad suite, run folder or option, or a call refused before sending
     (a missing key, a key for a host the suite named: --trust-base-url)
  3  the budget stopped the run before every cell was sent (and none failed)
  4  (--batch) batches are still running and nothing has failed so far: --resume fetches them
  130 interrupted; the finished cells are kept: ``--resume`` sends the rest
No Qt here; the run itself is imported only when the verb runs.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import TextIO

from composer.cli import PROG, error, note

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_BUDGET, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
RUNS = "runs"  # the default output folder's parent, beside the suite


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("suite", metavar="SUITE.json", help="the suite file")
    parser.add_argument("--out", metavar="DIR",
                        help="the run folder (default: runs/NAME-TIME beside the suite; with "
                             "--resume, the newest runs/NAME-* there)")
    parser.add_argument("--resume", action="store_true",
                        help="go on with the run in the folder: send only the cells without a "
                             "valid result file")
    parser.add_argument("--budget", type=float, metavar="USD",
                        help="stop sending new calls once the run has spent this many dollars "
                             "(default: the suite's budget_usd)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the planned calls and the estimated cost; send nothing")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N",
                        help="calls in flight at once per remote provider (a local server "
                             "always gets one at a time; default 4)")
    parser.add_argument("--trust-base-url", action="store_true",
                        help="send your API keys to the base URLs the suite's targets name "
                             "(without this, a key goes only to the provider's own server or "
                             "a host you confirmed in the window)")
    parser.add_argument("--allow-paths", action="store_true",
                        help="also read files the suite names outside its own folder "
                             "(conversation, cases, attachments)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up on a call after this long without data (default 120)")
    parser.add_argument("--retries", type=int, default=None, metavar="N",
                        help="retries per call on 429/5xx/connection failures (default 2)")
    from composer.cli import run_batch

    run_batch.add_arguments(parser)


def _out_folder(args: argparse.Namespace, suite_path: Path, name: str) -> Path:
    from composer.run.testrun.folder import is_run_folder, slug

    if args.out:
        return Path(args.out)
    runs = suite_path.resolve().parent / RUNS
    if args.resume:
        found = sorted((p for p in runs.glob(f"{slug(name)}-*") if is_run_folder(p)),
                       key=lambda p: p.name)
        if not found:
            raise FileNotFoundError(f"no run of {name} to resume in {runs} (give --out DIR)")
        return found[-1]
    return runs / f"{slug(name)}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def _call_factory(args: argparse.Namespace):
    from composer import paths
    from composer.providers.base import RequestRefused
    from composer.providers.transport import CallConfig
    from composer.providers.trust import TrustedHosts
    from composer.run.prepare import prepare_call

    config = CallConfig()
    if args.timeout is not None:
        config.read_timeout = args.timeout
    if args.retries is not None:
        config.retries = max(0, args.retries)
    trusted = TrustedHosts.load(paths.user_dir())

    def make_call(conversation, client):
        prepared = prepare_call(conversation, client=client, config=config,
                                chosen=args.trust_base_url, trusted=trusted)
        if prepared.key_target is not None:
            raise RequestRefused(prepared.key_target.refusal(
                "pass --trust-base-url to send it there"))
        return prepared.call

    return make_call


class Progress:
    """A bar redrawn in place on a terminal; a line per finished cell otherwise."""

    WIDTH = 28

    def __init__(self, stream: TextIO, total: int, done: int):
        self.stream = stream
        self.tty = stream.isatty()
        self.total, self.done = total, done
        self.failed = 0
        self.drawn = False  # the bar is on the current line

    def __call__(self, event) -> None:
        from composer.run.testrun.runner import BudgetReached, CellFinished

        if isinstance(event, BudgetReached):
            self._clear()
            note(f"budget reached: ${event.spent_usd:.4f} spent of ${event.budget_usd:g}; "
                 f"{event.not_started} cell(s) not sent (--resume --budget N to go on)")
        if not isinstance(event, CellFinished):
            return
        self.done = event.done
        result = event.result
        self.failed += result.status != "pass"
        if self.tty:
            filled = round(self.WIDTH * self.done / max(1, self.total))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} cells · "
                              f"${event.spent_usd:.4f} spent · {self.failed} not passed\x1b[K")
            self.drawn = True
        else:
            cell = result.cell
            statuses = [v.status for v in result.verdicts]
            skipped = statuses.count("skip")
            checks = f"{statuses.count('pass')}/{len(statuses)} checks" + (
                f", {skipped} skipped" if skipped else "")
            why = next((v.why for v in result.verdicts if v.status in ("fail", "error")), "")
            self.stream.write(f"[{self.done}/{self.total}] {cell.target.name} · {cell.case.id}"
                              f" · r{cell.repeat}: {result.status} ({checks}) · "
                              f"${event.spent_usd:.4f} spent" + (f" · {why}" if why else "")
                              + "\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def finish_line(self) -> None:
        """End the bar's line, if one is drawn, before another message."""
        if self.drawn:
            self._clear()

    def finish(self) -> None:
        self._clear()


def summary_table(summary) -> str:
    """One line per target: pass rate, failures, errors, cost, mean latency."""
    header = ["target", "pass rate", "passed", "failed", "errors", "not run", "cost",
              "mean latency"]
    rows = [header]
    for s in summary.stats():
        rate = f"{s.pass_rate:.0%}" if s.pass_rate is not None else "-"
        cost = f"${s.cost_usd:.4f}" + (" + ?" if s.cost_unknown and s.done else "")
        if s.cost_unknown == s.done and s.done:
            cost = "no price known"
        latency = f"{s.mean_latency_ms:,.0f} ms" if s.mean_latency_ms is not None else "-"
        rows.append([s.name, rate, str(s.passed), str(s.failed), str(s.errors),
                     str(s.pending), cost, latency])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def failures(summary, limit: int = 20) -> list[str]:
    lines = []
    for result in summary.results:
        for verdict in result.verdicts:
            if verdict.status in ("fail", "error"):
                c = result.cell
                lines.append(f"{verdict.status}: {c.target.name} · {c.case.id} · r{c.repeat}: "
                             f"{verdict.label}: {verdict.why}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more (see run.json)"]
                            if len(lines) > limit else [])


def plan_line(suite, runner, folder, mode: str = "") -> str:
    """``NAME: 12 cells (2 targets × 3 cases × 2 repeats)``, and what is done already."""
    line = f"{suite.name}: {runner.shape()}{mode}"
    if runner.kept:
        line += f", {len(runner.kept)} already done in {folder}"
    return line


def planned_or_refused(args: argparse.Namespace, cells, preflight) -> int | None:
    """``--dry-run``: the planned cells, one line each (exit 0); else the refusals of
    ``preflight()``, one line each (exit 2); None when the run may go ahead."""
    if args.dry_run:
        for cell in cells:
            print(f"{cell.target.name}\t{cell.case.id}\tr{cell.repeat}\t{cell.path}")
        return EXIT_OK
    if problems := preflight():
        for problem in problems:
            error(problem)
        return EXIT_REFUSED
    return None


def run(args: argparse.Namespace, verb: str) -> int:
    import asyncio

    from composer import paths
    from composer.models.errors import ComposerError
    from composer.preferences import Preferences
    from composer.run.lanes import Lanes
    from composer.run.testrun.batch import has_batches
    from composer.run.testrun.runner import Runner
    from composer.run.testrun.suite import load_suite

    try:
        suite = load_suite(args.suite, allow_paths=args.allow_paths,
                           attachment_limit=Preferences.load(paths.user_dir())
                           .attachment_size_limit)
        for warning in suite.warnings:
            note(f"warning: {warning}")
        if args.budget is not None and args.budget < 0:
            raise ComposerError("--budget must be at least 0")
        folder = _out_folder(args, Path(args.suite), suite.name)
        runner = Runner(suite, folder, _call_factory(args), budget_usd=args.budget,
                        resume=args.resume, lanes=Lanes(max(1, args.concurrency)),
                        on_event=None)
        if args.batch or (args.resume and has_batches(folder)):
            from composer.cli import run_batch

            return run_batch.run(args, suite, folder, runner, _report)
        to_send = runner.prepare(write=not args.dry_run)
    except (ComposerError, OSError) as exc:
        error(str(exc))
        return EXIT_REFUSED
    estimate = runner.estimate()
    note(f"{plan_line(suite, runner, folder)}; to send: {estimate.describe()}")
    budget = runner.budget_usd
    if budget is not None and estimate.cost_usd + runner.spent_usd > budget:
        note(f"note: the estimate is over the ${budget:g} budget: new calls stop once the "
             "spend reaches it")
    if (status := planned_or_refused(args, to_send, runner.preflight)) is not None:
        return status
    progress = Progress(sys.stderr, len(runner.cells), len(runner.kept))
    runner.on_event = progress
    note(f"run folder: {folder}")
    try:
        summary = asyncio.run(runner.run())
    except KeyboardInterrupt:
        progress.finish()
        from composer.run.testrun.summary import load_run

        summary = load_run(folder, write=True)
        note(f"interrupted: {summary.counts()['pending']} cell(s) not done; "
             f"{PROG} run {shlex.quote(args.suite)} --out {shlex.quote(str(folder))} --resume "
             "goes on")
        return EXIT_INTERRUPTED
    except (ComposerError, OSError) as exc:
        progress.finish()
        error(str(exc))
        return EXIT_FAILED
    progress.finish()
    return _report(summary, runner.budget_reached)


def _report(summary, budget_reached: bool) -> int:
    print(summary_table(summary))
    counts = summary.counts()
    for line in failures(summary):
        note(line)
    print(f"\ncells: {counts['pass']} pass · {counts['fail']} fail · {counts['error']} error · "
          f"{counts['pending']} not run · ${summary.spent_usd:.4f} spent · {summary.folder}")
    if counts["fail"] or counts["error"]:
        return EXIT_FAILED
    if counts["pending"]:
        return EXIT_BUDGET if budget_reached else EXIT_FAILED
    return EXIT_OK
