"""``llm-composer send FILE``: send a conversation and stream the reply to the terminal.

Text goes to stdout as it arrives; reasoning to stderr (dimmed when stderr is a terminal);
tool calls print as ``tool_call name(arguments)``; retries and notes go to stderr. Before
sending, every problem found (composer.run.preflight) is printed, one ``error:`` line each, and
nothing is sent; what the provider will not receive is printed as ``note:`` lines. With a
response schema, the reply's verdict (valid, invalid at a path, cut off) ends stderr. ``--out``
writes the exchange (readable by ``llm``), also when the request failed or was interrupted, with
the parts received so far. Exit status: 0 done, 1 failed (one ``llm-composer: error:`` line per
problem), 130 interrupted. With ``--target`` (repeated) the conversation goes to several targets
at once instead: composer/cli/send_targets.py. No Qt here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from composer import paths
from composer.cli import PROG, error, linked_files, note, silence_broken_pipes
from composer.models import formats
from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.models.events import (
    OutputAttachment,
    ReasoningDelta,
    Retrying,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallEnd,
    ToolResult,
)
from composer.models.exchange import Exchange
from composer.models.files import replaced_note, save, valid_text, write_problem
from composer.models.linked import LinkedFileError
from composer.models.options import apply_option
from composer.models.pricing import record_cost, usage_summary
from composer.models.problems import Field
from composer.models.settings import KNOWN_OPTIONS
from composer.providers.refused import RequestRefused
from composer.providers.transport import (
    Call,
    CallConfig,
    build_exchange,
    describe_error,
    run_call,
)
from composer.providers.trust import TrustedHosts
from composer.run.preflight import preflight

DIM, RESET = "\x1b[2m", "\x1b[0m"
SIGPIPE_STATUS = 128 + 13  # what a shell reports for a command killed by SIGPIPE
FLUSH_EVERY = 0.016  # seconds: the streamed reply reaches the terminal once a frame


def add_conversation_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """FILE and what is laid over its settings (``read_conversation`` reads them): the
    arguments ``send`` and ``count`` share. ``what`` the key is sent there for."""
    parser.add_argument("file", metavar="FILE",
                        help="a conversation in any format Composer imports")
    parser.add_argument("--from", dest="from_format", metavar="FMT",
                        help="the file's format (detected when omitted)")
    parser.add_argument("--provider", "-p", metavar="P",
                        help="a preset (openai, anthropic, gemini, ollama, groq, ...) or a "
                             "protocol name; default: the file's, else replay")
    parser.add_argument("--model", "-m", metavar="M", help="the model id")
    parser.add_argument("--base-url", metavar="URL",
                        help="the server's base URL (for replay: an exchange file)")
    parser.add_argument("--trust-base-url", action="store_true",
                        help=f"send your API key to the base URL the file names, {what} there "
                             "(without this, a key goes only to the provider's own server, a "
                             "host you confirmed in the window, or --base-url)")
    add_var_argument(parser)


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    add_conversation_arguments(parser, "to send")
    parser.add_argument("-o", "--option", nargs=2, action="append", default=[],
                        metavar=("KEY", "VALUE"),
                        help="a request option, e.g. -o temperature 0.2; "
                        f"{', '.join(KNOWN_OPTIONS)} are checked as the window checks them and "
                        "mapped for each provider, any other key is sent as a raw body field "
                        "(JSON values parse)")
    parser.add_argument("--target", "-t", action="append", default=[], metavar="T",
                        help="send to this target instead; repeat it to compare several side "
                        "by side. T is PRESET:MODEL[,KEY=VALUE]..., e.g. openai:gpt-4o-mini or "
                        "ollama:llama3.2:1b,temperature=0 (the model runs to the first comma, "
                        "so Ollama's colon stays). KEY is base_url (the target's own server; "
                        "typed here, it may receive your key), label (its name in the table and "
                        "its file name) or an option as -o takes it (temperature, max_tokens, "
                        "...). The targets run at the same time, but one at a time per server "
                        "on this machine or network (such servers serve one request at a "
                        "time). Progress goes to stderr; once all have ended, stdout gets each "
                        "reply (without --out) and a table of time to first token, tokens per "
                        "second, tokens and stop reason or error. Not with --provider, --model "
                        "or --base-url")
    parser.add_argument("--out", metavar="EXCHANGE.json",
                        help="write the exchange here (also the partial one on failure); with "
                        "--target, a folder: one exchange per target, named after it")
    parser.add_argument("--log-to-llm", action="store_true",
                        help="also write the exchange into llm's logs.db (needs llm installed)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up after this long without data (default 120)")
    parser.add_argument("--retries", type=int, default=None, metavar="N",
                        help="retries on 429/5xx/connection failures (default 2)")
    linked_files.add_argument(parser)


class Printer:
    """Writes events to the terminal as they arrive, keeping stdout and stderr on fresh lines
    when the stream switches between them."""

    def __init__(self, assembler: Assembler, out: TextIO, err: TextIO):
        self.assembler = assembler
        self.out = out
        self.err = err
        self.dim = err.isatty()
        self._open: TextIO | None = None  # the stream with an unfinished line
        # The reader went away (``send ... | head``): print nothing more, and without --out
        # stop the request (``on_broken_pipe``), as a command whose output is cut off does.
        self.broken = False
        self.on_broken_pipe = None
        self._held: dict[int, str] = {}  # stream id -> half a surrogate pair
        self._flush_pending = False

    def __call__(self, event: StreamEvent, index: int | None) -> None:
        if self.broken:
            return
        try:
            self._print(event, index)
        except BrokenPipeError:
            self._pipe_broke()

    def _pipe_broke(self) -> None:
        self.broken = True
        self._open = None
        silence_broken_pipes()
        if self.on_broken_pipe is not None:
            self.on_broken_pipe()

    def _flush_soon(self) -> None:
        """Flush once a frame, not per delta (a system call per token): the first delta after
        a flush schedules the next one, so nothing waits longer than a frame."""
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_later(FLUSH_EVERY, self._flush_now)

    def _flush_now(self) -> None:
        self._flush_pending = False
        if self.broken:
            return
        try:
            self.out.flush()
            self.err.flush()
        except BrokenPipeError:
            self._pipe_broke()

    def _switch(self, stream: TextIO) -> None:
        if self._open is not None and self._open is not stream:
            self._open.write("\n")
            self._open.flush()
            self._open = None

    def _line(self, stream: TextIO, text: str) -> None:
        self._switch(stream)
        if self._open is stream:
            stream.write("\n")
        stream.write(text + "\n")
        stream.flush()
        self._open = None

    def _whole(self, stream: TextIO, text: str) -> str:
        """``text`` printable: the first half of a surrogate pair split across two deltas waits
        for its second half; a lone one prints as U+FFFD instead of failing the write."""
        text = self._held.pop(id(stream), "") + text
        if "\ud800" <= text[-1] <= "\udbff":
            self._held[id(stream)] = text[-1]
            text = text[:-1]
        return valid_text(text)[0]

    def _print(self, event: StreamEvent, index: int | None) -> None:
        match event:
            case TextDelta(text=text) if text and (text := self._whole(self.out, text)):
                self._switch(self.out)
                self.out.write(text)
                self._flush_soon()
                self._open = None if text.endswith("\n") else self.out
            case ReasoningDelta(text=text) if text and (text := self._whole(self.err, text)):
                self._switch(self.err)
                self.err.write(f"{DIM}{text}{RESET}" if self.dim else text)
                self._flush_soon()
                self._open = None if text.endswith("\n") else self.err
            case ToolCallEnd() if index is not None:
                part = self.assembler.part(index)
                args = json.dumps(part.arguments, ensure_ascii=False)
                self._line(self.out, f"tool_call {part.name}({args})")
            case ToolResult(name=name, output=output):
                short = output if len(output) <= 200 else output[:200] + "…"
                self._line(self.err, f"tool_result {name}: {short}")
            case OutputAttachment(partial=False, mime=mime) if index is not None:
                size = self.assembler.part(index).attachment.size
                shown = f", {size} bytes" if size is not None else ""
                self._line(self.err, f"[{mime or 'attachment'}{shown}: saved in the exchange]")
            case Retrying(delay=delay, attempt=attempt, of=of, reason=reason):
                self._line(self.err, f"{PROG}: retrying in {delay:.3g} s "
                                     f"(attempt {attempt} of {of}): {reason}")

    def finish(self) -> None:
        """End an unfinished line, so the shell prompt starts on its own."""
        self._flush_now()
        if self._open is not None and not self.broken:
            try:
                self._open.write("\n")
                self._open.flush()
            except BrokenPipeError:
                self._pipe_broke()
            self._open = None


def add_var_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="a value for the conversation's {{NAME}} (repeat it); over the "
                        "values the file keeps")


def _read_vars(items: list[str]) -> dict[str, str]:
    values = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise RequestRefused(f"--var {item!r}: give it as NAME=VALUE")
        values[name.strip()] = value
    return values


def read_conversation(args: argparse.Namespace) -> Conversation:
    """FILE as a conversation with the command line's provider, model, base URL and options
    laid over its settings (linked files read as the options allow); ``count`` and compare
    read theirs the same way."""
    imported = formats.import_path(args.file, args.from_format)
    for loss in imported.losses:
        note(f"warning: {loss}")
    conv = imported.conversation
    if not conv.messages:
        raise RequestRefused(f"{args.file}: there are no messages to send")
    linked_files.load(conv, args.file, args)
    settings = conv.settings
    if args.provider:
        if args.provider != settings.provider and args.base_url is None:
            settings.base_url = None  # a file's base URL belongs to the file's provider
        settings.provider = args.provider
    if args.model:
        settings.model = args.model
    if args.base_url is not None:
        settings.base_url = args.base_url or None
    for key, value in args.option:
        # Our neutral options are read (and checked) as the window reads them; anything else
        # is the provider's own field, sent as it is (-o top_k 40, -o reasoning '{...}').
        apply_option(settings, key, value)
    if values := _read_vars(getattr(args, "var", [])):
        conv.composer.variables = {**conv.variable_values, **values}
    return conv


def call_config(args: argparse.Namespace) -> CallConfig:
    config = CallConfig()
    if args.timeout is not None:
        config.read_timeout = args.timeout
    if args.retries is not None:
        config.retries = max(0, args.retries)
    return config


def _prepare(args: argparse.Namespace) -> Call:
    conv = read_conversation(args)
    settings = conv.settings
    config = call_config(args)
    # --base-url or --trust-base-url: the user chose where the key goes, not the file.
    checked = preflight(conv, config=config,
                        chosen=args.base_url is not None or args.trust_base_url,
                        trusted=TrustedHosts.load(paths.user_dir()))
    if (refused := checked.refused()) is not None:
        raise refused  # every blocking problem, one line each (``run``)
    prepared = checked.prepared
    assert prepared is not None
    for finding in checked.notes:
        if finding.field is not Field.API_KEY:  # a missing key: the provider's 401 says it
            note(f"note: {finding.line()}")
    for problem in prepared.key_problems:
        note(f"warning: {problem}")
    if prepared.key_target is not None:
        raise RequestRefused(f"{args.file}: " + prepared.key_target.refusal(
            "pass --trust-base-url to send it there, or --base-url to choose the server"))
    left_out = settings.base_url_secrets
    if left_out and args.out:
        note(f"note: the base URL's {', '.join(left_out)} is used for sending but not written "
             f"to {args.out}")
    return prepared.call


def write(exchange: Exchange, path: str | None) -> bool:
    if not path:
        return True
    try:
        replaced = save(exchange, path)
    except Exception as exc:  # noqa: BLE001 (disk full, no permission...: one line)
        error(f"cannot write {write_problem(path, exc)}")
        return False
    if replaced:
        note(f"note: {path}: {replaced_note(replaced)}")
    return True


def run(args: argparse.Namespace, verb: str) -> int:
    if args.target:
        from composer.cli import send_targets

        return send_targets.run(args)
    try:
        call = _prepare(args)
    except RequestRefused as exc:
        for each in exc.every():
            error(str(each))
        return 1
    except (ComposerError, LinkedFileError) as exc:
        error(str(exc))
        return 1
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot show is a "?"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    assembler = Assembler()
    printer = Printer(assembler, sys.stdout, sys.stderr)

    done: list[Exchange] = []

    async def call_and_print() -> None:
        if not args.out:  # nobody reads the reply any more and it is not kept: stop it
            printer.on_broken_pipe = asyncio.current_task().cancel
        # Kept aside, not the task's result: asyncio.run formats its main task (result and all)
        # into an error message it then drops (signal.getsignal on its own SIGINT handler), and
        # the repr of a long reply's exchange cost as much as reading the stream.
        done.append(await run_call(call, assembler, printer))

    try:
        asyncio.run(call_and_print())
    except KeyboardInterrupt:
        pass  # Ctrl-C outside the stream (asyncio.run normally turns it into a cancel inside)
    exchange = done[0] if done else None
    printer.finish()
    if printer.broken:
        # The output was cut off (``| head``): keep the exchange, exit as SIGPIPE would.
        if exchange is None:
            exchange = build_exchange(call, assembler)
        write(exchange, args.out)
        return SIGPIPE_STATUS
    if exchange is None:
        assembler.feed(StreamError("interrupted", kind="cancelled"))
        exchange = build_exchange(call, assembler)
        write(exchange, args.out)
        note("interrupted")
        return 130
    cost = record_cost(exchange)
    written = write(exchange, args.out)
    if getattr(args, "log_to_llm", False):
        from composer.providers.llm_log import LogFailed, log_exchange

        try:
            log_exchange(exchange)
        except LogFailed as exc:
            error(str(exc))
            written = False
    failure = exchange.composer.error
    if exchange.composer.stop_reason == "cancelled":
        note("interrupted" + (f"; the partial exchange is in {args.out}" if args.out else ""))
        return 130
    if failure is not None:
        error(describe_error(failure))
        return 1
    for text in getattr(exchange.composer, "notes", None) or []:
        if text not in call.request.notes:  # those were said before sending
            note(f"note: {text}")
    note(usage_summary(exchange.usage, cost))
    if (checked := exchange.composer.schema_verdict) is not None:
        note(checked.line())
    return 0 if written else 1
