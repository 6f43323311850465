"""``llm-composer convert IN [--from FMT] --to FMT [--out OUT]``: convert between formats.

``IN`` may be ``-`` for stdin; without ``--out`` the result goes to stdout. What the target
format could not hold goes to stderr, one ``warning:`` line per loss. Bad input is one
``llm-composer: error: ...`` line and exit status 1; anything unexpected is a bug, but still
one line (exit 2), never a traceback. No Qt here.

``--list-conversations IN`` lists what a file holding several conversations holds (an llm
logs.db's threads, ShareGPT JSONL or dataset entries): ``KEY<TAB>TITLE[<TAB>DETAIL]`` per line,
KEY being what ``--conversation`` takes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from composer.cli import error, linked_files
from composer.models import formats
from composer.models.errors import ComposerError, FormatError
from composer.models.files import atomic_write_text
from composer.models.formats import sharegpt
from composer.models.formats._choices import list_choices, load_choice
from composer.models.formats.base import Imported


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("input", nargs="?", metavar="IN",
                        help="the file to convert, or - for stdin")
    parser.add_argument("--from", dest="from_format", metavar="FMT",
                        help="the input format (detected when omitted)")
    parser.add_argument("--to", dest="to_format", metavar="FMT", help="the output format")
    parser.add_argument("--out", "-O", metavar="OUT", help="write here instead of stdout")
    parser.add_argument("--conversation", metavar="ID",
                        help="which conversation: an id in an llm logs.db, or N for the Nth "
                             "line of a ShareGPT JSONL file")
    parser.add_argument("--list", action="store_true", help="list the formats and exit")
    linked_files.add_argument(parser)
    parser.add_argument("--list-conversations", action="store_true",
                        help="list the conversations IN holds (an llm logs.db, ShareGPT JSONL "
                             "or dataset), one per line: the --conversation key, a tab, a title")


def format_table() -> str:
    lines = ["formats (name, what it reads/writes, directions):"]
    for fmt in formats.all_formats():
        ways = "/".join(w for w, ok in (("import", fmt.load), ("export", fmt.dump)) if ok)
        lines.append(f"  {fmt.name:<18} {fmt.title} [{ways}]")
    return "\n".join(lines)


def _read(args: argparse.Namespace) -> Imported:
    fmt = args.from_format
    if fmt is not None:
        formats.get(fmt)  # unknown names fail here, with the list
    which = args.conversation
    if args.input == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError("not UTF-8 text", source="<stdin>") from None
        if which is not None:
            return _pick_text(text, fmt, which, "<stdin>")
        return formats.import_text(text, fmt, "<stdin>")
    return load_choice(Path(args.input), which, fmt)


def _list_conversations(args: argparse.Namespace) -> int:
    if args.input in (None, "-"):
        error("--list-conversations needs a file (IN)")
        return 1
    choices = list_choices(args.input, args.from_format)
    if not choices:
        print(f"{args.input}: one conversation", file=sys.stderr)
    for choice in choices:
        print("\t".join(x for x in (choice.key, choice.title, choice.detail) if x))
    return 0


def _pick_text(text: str, fmt: str | None, which: str, source: str) -> Imported:
    chosen = formats.get(fmt) if fmt else formats.detect(text, source)
    if chosen.name != sharegpt.FORMAT.name:
        raise FormatError(f"--conversation applies to llm logs databases and ShareGPT JSONL, "
                          f"not {chosen.name}", source=source)
    return sharegpt.load_nth(text, which, source)


def run(args: argparse.Namespace, verb: str = "convert") -> int:
    if args.list:
        print(format_table())
        return 0
    if args.list_conversations:
        try:
            return _list_conversations(args)
        except FormatError as exc:
            error(exc.one_line())
            return 1
    if args.input is None or args.to_format is None:
        error("convert needs IN and --to FMT (see --list for the formats)")
        return 1
    try:
        target = formats.get(args.to_format)
        if target.dump is None:
            raise FormatError(f"{target.name} can be imported, not exported")
        imported = _read(args)
        linked_files.load(imported.conversation, args.input, args)
        exported = formats.export(imported.conversation, target.name)
        for loss in [*imported.losses, *exported.losses]:
            print(f"warning: {loss}", file=sys.stderr)
        if args.out:
            atomic_write_text(args.out, exported.text)
        else:
            sys.stdout.write(exported.text)
            sys.stdout.flush()
    except FormatError as exc:
        error(exc.one_line())
        if "unknown format" in exc.problem:
            print(format_table(), file=sys.stderr)
        return 1
    except ComposerError as exc:
        error(str(exc))
        return 1
    except OSError as exc:
        error(f"{exc.filename or args.out}: {exc.strerror or exc}")
        return 1
    except Exception as exc:  # a bug, but the user still gets one line
        error(f"internal error ({type(exc).__name__}: {exc}); please report it")
        return 2
    return 0
