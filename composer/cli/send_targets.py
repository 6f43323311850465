"""``llm-composer send FILE --target T [--target T ...] [--out DIR]``: compare on the command line.

The conversation goes to every target at once through the run layer's ``Compare`` (one call at
a time per local server). Nothing streams to stdout, where replies from several targets would
interleave: stderr gets a line per target as it is sent, gets its first token and ends (with
its figures or its error); at the end stdout gets, without ``--out``, each reply in target
order, then a table of the figures. ``--out DIR`` writes one exchange per target into DIR,
named after the target. Exit status: 0 when every target answered, 1 when any failed or a file
could not be written (said in one line), 130 interrupted. No Qt here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from composer import paths
from composer.cli import error, note
from composer.cli.send import call_config, read_conversation, write
from composer.models.errors import ComposerError
from composer.models.events import Retrying, StreamEvent
from composer.models.exchange import Exchange
from composer.models.linked import LinkedFileError
from composer.models.parts import TextPart, ToolCallPart
from composer.providers.http import new_client
from composer.providers.trust import TrustedHosts
from composer.run.compare import Column, Compare, file_names
from composer.run.metrics import Metrics
from composer.run.state import RunState
from composer.run.targets import Target, TargetError, parse_target

NOT_WITH_TARGET = (("provider", "--provider"), ("model", "--model"), ("base_url", "--base-url"))


def run(args: argparse.Namespace) -> int:
    clash = [flag for name, flag in NOT_WITH_TARGET if getattr(args, name) is not None]
    if clash:
        error(f"{' and '.join(clash)} cannot go with --target: each target names its own "
              "preset and model (PRESET:MODEL), and its own server with base_url=")
        return 1
    try:
        targets = [parse_target(text) for text in args.target]
        out = _out_dir(args.out)
        conversation = read_conversation(args)
    except (ComposerError, LinkedFileError, TargetError) as exc:
        error(str(exc))
        return 1
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot show is a "?"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    progress = Progress(len(targets), sys.stderr)
    compare = Compare(conversation, targets, listener=progress, config=call_config(args),
                      chosen_base_url=args.trust_base_url,
                      trust_hint="give the target its own base_url=, or pass --trust-base-url",
                      trusted=TrustedHosts.load(paths.user_dir()))
    progress.announce_queues(compare.columns)

    async def run_all() -> None:
        # One client for every target: its set-up is not counted in each one's first token.
        async with new_client() as client:
            compare.client = client
            await compare.run()

    interrupted = False
    try:
        asyncio.run(run_all())
    except KeyboardInterrupt:  # every column was stopped and keeps what arrived
        interrupted = True
    return _report(compare, targets, out, args, interrupted)


def _out_dir(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ComposerError(f"--out {out}: with --target it names a folder (one exchange per "
                            "target goes in it), and this is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ComposerError(f"cannot make the folder {out}: {exc.strerror or exc}") from None
    return path


def _report(compare: Compare, targets: list[Target], out: Path | None,
            args: argparse.Namespace, interrupted: bool) -> int:
    columns = compare.columns
    written = True
    if out is not None:
        for column, name in zip(columns, file_names(targets), strict=True):
            if column.exchange is not None and write(column.exchange, str(out / name)):
                note(f"{column.name}: wrote {out / name}")
            else:
                written = False
    else:
        print_replies(columns, sys.stdout)
    print_table(columns, sys.stdout)
    if getattr(args, "log_to_llm", False):
        written = _log_to_llm(columns) and written
    if interrupted or any(c.state == RunState.STOPPED for c in columns):
        note("interrupted" + (f"; the partial exchanges are in {out}" if out else ""))
        return 130
    failed = [c.name for c in columns if c.state != RunState.DONE]
    if failed:
        error(f"{len(failed)} of {len(columns)} targets failed: {', '.join(failed)}")
        return 1
    return 0 if written else 1


def _log_to_llm(columns: list[Column]) -> bool:
    from composer.providers.llm_log import LogFailed, log_exchange

    for column in columns:
        if column.exchange is None or column.state != RunState.DONE:
            continue
        try:
            log_exchange(column.exchange)
        except LogFailed as exc:
            error(str(exc))
            return False
    return True


class Progress:
    """The listener: one stderr line per target when it is sent, gets its first token, retries
    and ends."""

    def __init__(self, count: int, err: TextIO):
        self.count = count
        self.err = err

    def _say(self, column: Column, text: str) -> None:
        note(f"[{column.index + 1}/{self.count}] {column.name}: {text}")

    def announce_queues(self, columns: list[Column]) -> None:
        """Say which targets wait for a server another target is using."""
        first: dict[str, Column] = {}
        for column in columns:
            lane = column.lane
            if lane is None:
                continue
            if lane in first:
                self._say(column, f"waits its turn at {lane} (one request at a time)")
            else:
                first[lane] = column

    def __call__(self, column: Column, event: StreamEvent | None, index: int | None) -> None:
        if isinstance(event, Retrying):
            self._say(column, f"retrying in {event.delay:.3g} s (attempt {event.attempt} of "
                              f"{event.of}): {event.reason}")
            return
        if event is not None:
            return
        metrics = column.metrics
        match column.state:
            case RunState.SENDING:
                self._say(column, "sent")
                for text in column.notes:
                    self._say(column, f"note: {text}")
            case RunState.STREAMING:
                self._say(column, f"first token after {metrics.ttft_text}")
            case RunState.DONE:
                self._say(column, "done: " + _figures(metrics))
            case RunState.STOPPED:
                self._say(column, "stopped")
            case RunState.ERROR | RunState.REFUSED:
                self._say(column, f"failed: {metrics.error}")


def _figures(m: Metrics) -> str:
    pieces = [f"{m.elapsed_text}" if m.elapsed_text else "",
              f"{m.tokens_text} tokens" if m.tokens_text else "",
              f"{m.rate_text} tok/s" if m.rate_text else "", m.stop_reason or ""]
    return ", ".join(p for p in pieces if p)


# -- at the end, on stdout ----------------------------------------------------------------------

def print_replies(columns: list[Column], out: TextIO) -> None:
    """Each reply's text and tool calls, under its target's name, in target order."""
    for column in columns:
        exchange: Exchange | None = column.exchange
        if exchange is None or not exchange.messages:
            continue
        out.write(f"== {column.name} ==\n")
        for message in exchange.messages:
            for part in message.parts:
                if isinstance(part, TextPart):
                    out.write(part.text.rstrip("\n") + "\n")
                elif isinstance(part, ToolCallPart):
                    args = json.dumps(part.arguments, ensure_ascii=False)
                    out.write(f"tool_call {part.name}({args})\n")
        out.write("\n")
    out.flush()


def table_rows(columns: list[Column]) -> list[list[str]]:
    rows = [["target", "TTFT", "tok/s", "tokens", "stop reason or error"]]
    for column in columns:
        m = column.metrics
        rows.append([column.name, m.ttft_text or "-", m.rate_text or "-",
                     m.tokens_text or "-", m.outcome])
    return rows


def print_table(columns: list[Column], out: TextIO) -> None:
    rows = table_rows(columns)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    right = {1, 2, 3}  # figures line up on their last digit
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=False))]
        out.write("  ".join([*cells, row[-1]]).rstrip() + "\n")
    out.flush()

