"""``llm-composer diff A B``: the word-level difference of two replies, as diff(1) answers.

A and B are exchange files (their reply), or conversations in any format Composer imports
(their last assistant message). Printed, for each part kind that differs, under a heading:
reasoning and text word by word with a few lines of context (``-U``), removed words red and
struck through and added ones green on a terminal, ``[-removed-]{+added+}`` when piped or with
NO_COLOR set (git's ``--word-diff=plain``); tool-call arguments and text that is JSON on both
sides as ``path: old → new``. For two exchanges, what differs about the outcome (model, stop
reason, tokens, error) comes first. Exit status: 0 the replies are the same, 1 they differ,
2 trouble (one ``llm-composer: error:`` line). No Qt here.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from composer.cli import error

if TYPE_CHECKING:
    from composer.models.diff import FieldChange, ReplyDiff, Section

SAME, DIFFERENT, TROUBLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.description = (
        "Print the word-level difference of two replies. A and B are exchange files (their "
        "reply is compared) or conversations in any format Composer imports (their last "
        "assistant message). Reasoning and text are compared apart, word by word; tool-call "
        "arguments and JSON replies field by field. Exit status: 0 same, 1 different, 2 trouble.")
    parser.add_argument("a", metavar="A", help="the first exchange or conversation file")
    parser.add_argument("b", metavar="B", help="the second")
    parser.add_argument("-U", "--context", type=int, default=3, metavar="N",
                        help="lines of unchanged text around each change (default 3; -1: all)")
    parser.add_argument("--color", "--colour", choices=("auto", "always", "never"),
                        default="auto", dest="color",
                        help="colour the changes: auto (default) on a terminal unless NO_COLOR "
                             "is set, always, or never ([-removed-]{+added+})")


def run(args: argparse.Namespace, verb: str) -> int:
    from composer.models.diff import diff_exchanges, diff_replies

    try:
        a, b = _read(args.a), _read(args.b)
    except _Trouble as exc:
        error(str(exc))
        return TROUBLE
    from composer.models.exchange import Exchange

    if isinstance(a[0], Exchange) and isinstance(b[0], Exchange):
        result = diff_exchanges(a[0], b[0])
    else:
        result = diff_replies(a[1], b[1])
    style = Style(_use_colour(args.color, sys.stdout))
    for line in render(result, args.a, args.b, style, args.context):
        print(line)
    return SAME if result.equal else DIFFERENT


class _Trouble(Exception):
    pass


def _read(path: str) -> tuple[object, list]:
    """(the document, its reply). Raises _Trouble with one line naming the file."""
    from composer.models.diff.exchanges import NoReply, reply_of
    from composer.models.errors import FormatError
    from composer.models.opening import open_document

    if os.path.isdir(path):
        raise _Trouble(f"{path}: is a folder, not an exchange or conversation file")
    try:
        document, _foreign = open_document(path)
        return document, reply_of(document)
    except FormatError as exc:
        raise _Trouble(str(exc.with_source(path))) from None
    except NoReply as exc:
        raise _Trouble(f"{path}: {exc}") from None


def _use_colour(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Style:
    """How a removed or added piece, a heading and a note look: ANSI colours or plain marks."""

    def __init__(self, colour: bool):
        self.colour = colour

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def removed(self, text: str) -> str:
        return self._sgr("31;9", text) if self.colour else f"[-{text}-]"

    def added(self, text: str) -> str:
        return self._sgr("32", text) if self.colour else f"{{+{text}+}}"

    def heading(self, text: str) -> str:
        return self._sgr("1;36", f"== {text} ==") if self.colour else f"== {text} =="

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def old(self, text: str) -> str:
        return self._sgr("31", text)

    def new(self, text: str) -> str:
        return self._sgr("32", text)


def render(result: ReplyDiff, name_a: str, name_b: str, style: Style, context: int) -> list[str]:
    """The lines ``diff`` prints: nothing at all for two equal replies with equal outcomes."""
    if result.equal and not result.summary:
        return []
    out = [style.old(f"--- {name_a}"), style.new(f"+++ {name_b}")]
    for difference in result.summary:
        out.append(f"{difference.what}: {style.old(difference.old)} → "
                   f"{style.new(difference.new)}")
    if result.equal:
        out.append(style.dim("(the replies are the same)"))
    for section in result.changed_sections:
        out += ["", style.heading(section.title)]
        out += _section_lines(section, style, context)
    return out


def _section_lines(section: Section, style: Style, context: int) -> list[str]:
    out: list[str] = []
    if section.only is not None:
        out.append(style.dim(f"(only in {section.only.upper()})"))
    out += [style.dim(note) for note in section.notes]
    if section.json and section.only is None:
        out += [_field_line(c, style) for c in section.fields.changes]
        if section.fields.more:
            out.append(style.dim(f"… and {section.fields.more:,} more changes"))
        return out
    return out + _text_lines(section, style, context)


def _text_lines(section: Section, style: Style, context: int) -> list[str]:
    from composer.models.diff import fold, inline_lines

    lines = inline_lines(section.segments)
    out: list[str] = []
    for span in fold([line.changed for line in lines], context):
        if span.folded:
            out.append(style.dim(f"… {span.end - span.start:,} unchanged lines"))
            continue
        for line in lines[span.start:span.end]:
            out.append("".join(style.removed(s.text) if s.op == "delete" else
                               style.added(s.text) if s.op == "insert" else s.text
                               for s in line.parts))
    return out


def _field_line(change: FieldChange, style: Style) -> str:
    from composer.models.diff import value_text

    if change.change == "added":
        return f"{change.path}: added {style.new(value_text(change.new))}"
    if change.change == "removed":
        return f"{change.path}: removed {style.old(value_text(change.old))}"
    return (f"{change.path}: {style.old(value_text(change.old))} → "
            f"{style.new(value_text(change.new))}")
