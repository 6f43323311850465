"""``llm-composer run SUITE --batch``: the run through the providers' batch APIs (half the price,
results within a day), into the same run folder (composer.run.testrun.batch).

``--batch`` submits the cells and exits, the batch ids in RUN/batches/; ``--wait`` polls until
every batch has ended (the interval grows from ``--poll-interval``); ``--resume`` (with or
without ``--batch``: a folder with batches goes on in batch mode) polls the recorded batches,
writes the finished results into the cell files and submits only the cells still without a
result that are in no running batch (a failed or expired batch's cells, errored requests).
Exit status as for a direct run, plus 4: batches are still running (nothing failed so far).
No Qt; the run is imported only when the verb runs.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from composer.cli import PROG, error, note

EXIT_RUNNING = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", action="store_true",
                        help="send through the providers' batch APIs (OpenAI, Anthropic, "
                             "Gemini) at half the price: submit, record the batch ids in the "
                             "run folder and exit; --resume fetches the results")
    parser.add_argument("--wait", action="store_true",
                        help="with --batch or --resume: poll until every batch has ended")
    parser.add_argument("--poll-interval", type=float, default=None, metavar="SECONDS",
                        help="with --wait: seconds before the first poll, growing 1.5× up to "
                             "5 minutes (default 10)")


class BatchProgress:
    """A line per batch event; the cells' lines (or bar) from the direct run's Progress."""

    def __init__(self, cells) -> None:
        self.cells = cells

    def __call__(self, event) -> None:
        from composer.run.testrun.batch import BatchPolled, BatchProblem, BatchSubmitted

        if isinstance(event, BatchSubmitted):
            self.cells.finish_line()
            note(f"submitted {event.file}: {event.api} batch {event.id}, {event.requests} "
                 f"request(s) for {event.target}")
        elif isinstance(event, BatchPolled):
            self.cells.finish_line()
            note(f"{event.file}: {event.api} batch {event.id}: {event.detail}")
        elif isinstance(event, BatchProblem):
            self.cells.finish_line()
            error(f"{event.file}: {event.message}")
        else:
            self.cells(event)


def run(args: argparse.Namespace, suite, folder, runner, report) -> int:
    """The batch run of ``runner`` (made, not prepared, by ``run``); ``report(summary,
    budget_reached)`` prints the table and gives the exit status."""
    import asyncio

    from composer.cli.run import (
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_REFUSED,
        Progress,
        plan_line,
        planned_or_refused,
    )
    from composer.models.errors import ComposerError
    from composer.run.testrun.batch import POLL_FIRST, BatchRun

    first = args.poll_interval if args.poll_interval and args.poll_interval > 0 else POLL_FIRST
    batch = BatchRun(runner, poll_first=first)
    try:
        to_submit = batch.prepare(write=not args.dry_run)
    except (ComposerError, OSError) as exc:
        error(str(exc))
        return EXIT_REFUSED
    running = batch.open_records()
    line = plan_line(suite, runner, folder, ", batch mode")
    if running:
        line += (f", {sum(len(r.get('cells') or []) for r in running)} in "
                 f"{len(running)} running batch(es)")
    note(f"{line}; to submit: {batch.estimate().describe()} (batch price: half the list "
         "price)")
    if (status := planned_or_refused(args, to_submit, batch.preflight)) is not None:
        return status
    progress = Progress(sys.stderr, len(runner.cells), len(runner.kept))
    batch.on_event = BatchProgress(progress)
    note(f"run folder: {folder}")
    try:
        summary = asyncio.run(batch.run(wait=args.wait))
    except KeyboardInterrupt:
        progress.finish()
        note(f"interrupted; the batches keep running: {_resume(args, folder)} fetches them")
        return EXIT_INTERRUPTED
    except (ComposerError, OSError) as exc:
        progress.finish()
        error(str(exc))
        return 1
    progress.finish()
    still = batch.open_records()
    counts = summary.counts()
    # Nothing in yet: no table of empty rows, only what is running and how to go on.
    status = EXIT_RUNNING if still and counts["pending"] == len(runner.cells) else \
        report(summary, runner.budget_reached)
    if still:
        note(f"{len(still)} batch(es) still running "
             f"({sum(len(r.get('cells') or []) for r in still)} cell(s)): "
             f"{_resume(args, folder)} fetches their results")
        if not (counts["fail"] or counts["error"]) and status in (EXIT_OK, 1):
            return EXIT_RUNNING
    return status


def _resume(args: argparse.Namespace, folder) -> str:
    return (f"{PROG} run {shlex.quote(args.suite)} --out {shlex.quote(str(folder))} "
            "--resume")
