"""The page a reply diff shows: HTML for one QTextBrowser, in pieces the window adds in turn.

Two columns, A on the left and B on the right, a heading per section (reasoning, text, each
tool call...). A row ends where both texts share a line break, so the columns stay level.
Removed words have a red background on the left, added words a green one on the right, and a
changed row a light tint of the same. A JSON section lists its changed fields (path, A, B) above
the two texts. Long unchanged stretches fold into one line ("⋯ 120 unchanged lines"), a link
that opens them; each change carries an anchor ``change-N`` for next/previous.

Speed: Qt lays a table out cell by cell, several times over, and that — not the diff — is the
cost of a long reply. So consecutive unchanged rows (alike on both sides, so level by
construction) share one table row, styles are attributes rather than class rules (matching
selectors per element is slow in Qt's HTML reader), and the page comes in pieces of at most
``CHARS_PER_PIECE`` characters: the window shows the first at once and appends the rest a piece
per event-loop turn.

Everything the replies hold is escaped: the page never holds markup or a resource of theirs.
"""

from __future__ import annotations

import re
from html import escape

from msgspec import Struct, field

from composer.models.diff import FieldChange, ReplyDiff, Row, Section, fold, side_by_side
from composer.models.diff.fields import value_text

CONTEXT = 3  # unchanged rows shown around a change
UNFOLD = "unfold:"  # link scheme of a fold: unfold:SECTION:START
CHARS_PER_PIECE = 4000  # about a screen and a half of two columns
SAME_PER_ROW = 12  # unchanged lines in one table row, at most


class Colours(Struct, frozen=True):
    muted: str
    removed: str  # background of a removed word
    added: str
    removed_row: str  # tint of a row with a removal
    added_row: str
    rule: str  # section heading background


LIGHT = Colours(muted="#59636e", removed="#ffb8b0", added="#9ef0b0",
                removed_row="#ffebe9", added_row="#e6ffec", rule="#eef1f4")
DARK = Colours(muted="#a3a8b0", removed="#8c2a25", added="#1f6b35",
               removed_row="#3d2224", added_row="#1c3524", rule="#38383c")


class Folds(Struct):
    """Which folds the reader opened, by (section, first row); ``all`` opens every one."""

    opened: set[tuple[int, int]] = field(default_factory=set)
    all: bool = False


class Page(Struct):
    pieces: list[str]  # HTML fragments, in order; the first holds the top of the page
    changes: int  # anchors change-0 … change-(N-1)

    @property
    def html(self) -> str:
        return "".join(self.pieces)


def build_page(result: ReplyDiff, title_a: str, title_b: str, colours: Colours,
               folds: Folds | None = None) -> Page:
    writer = _Writer(colours, folds or Folds())
    writer.top(result, title_a, title_b)
    for index, section in enumerate(result.sections):
        writer.section(index, section)
    writer.flush()
    return Page(writer.pieces, writer.changes)


_TABLE = "<table width='100%' cellspacing='0' cellpadding='3'{font}>"
_MONO = " style='font-family: monospace;'"


class _Writer:
    def __init__(self, colours: Colours, folds: Folds):
        self.c = colours
        self.folds = folds
        self.pieces: list[str] = []
        self.out: list[str] = []  # the piece being written
        self.chars = 0  # characters of text in it (a column's)
        self.changes = 0

    def flush(self) -> None:
        if self.out:
            self.pieces.append("".join(self.out))
        self.out, self.chars = [], 0

    def note(self, text: str) -> str:
        return f"<p style='color: {self.c.muted};'>{escape(text)}</p>"

    def anchor(self) -> str:
        self.changes += 1
        return f"<a name='change-{self.changes - 1}'></a>"

    def top(self, result: ReplyDiff, title_a: str, title_b: str) -> None:
        self.out.append(f"{_TABLE.format(font='')}<tr><td width='50%'><b>A: {escape(title_a)}"
                        f"</b></td><td width='50%'><b>B: {escape(title_b)}</b></td></tr></table>")
        if result.summary:
            rows = "".join(f"<tr><td>{escape(d.what)}</td>"
                           f"<td bgcolor='{self.c.removed_row}'>{escape(d.old)}</td>"
                           f"<td bgcolor='{self.c.added_row}'>{escape(d.new)}</td></tr>"
                           for d in result.summary)
            self.out.append(f"<table cellspacing='0' cellpadding='3'><tr><th></th>"
                            f"<th align='left'>A</th><th align='left'>B</th></tr>{rows}</table>")
        if not result.sections:
            self.out.append(self.note("Neither reply has any content."))
        elif result.equal:
            self.out.append(self.note("The replies are the same."))

    def section(self, index: int, section: Section) -> None:
        state = ("only in A" if section.only == "a" else "only in B" if section.only == "b"
                 else "changed" if section.changed else "the same")
        mark = self.anchor() if section.only or section.notes or section.fields else ""
        self.out.append(f"<h3 style='background-color: {self.c.rule};'>{mark}"
                        f"{escape(section.title)} <span style='color: {self.c.muted};'>"
                        f"— {state}</span></h3>")
        self.out += [self.note(n) for n in section.notes]
        if section.fields:
            self.fields(section.fields.changes, section.fields.more)
        self.table(index, section, side_by_side(section.segments))

    def fields(self, changes: list[FieldChange], more: int) -> None:
        out = [f"<table cellspacing='0' cellpadding='3'{_MONO}><tr><th align='left'>field</th>"
               "<th align='left'>A</th><th align='left'>B</th></tr>"]
        for change in changes:
            old = "—" if change.change == "added" else escape(value_text(change.old))
            new = "—" if change.change == "removed" else escape(value_text(change.new))
            out.append(f"<tr><td>{escape(change.path)}</td>"
                       f"<td bgcolor='{self.c.removed_row}'>{old}</td>"
                       f"<td bgcolor='{self.c.added_row}'>{new}</td></tr>")
        out.append("</table>")
        if more:
            out.append(self.note(f"… and {more:,} more changes"))
        self.out.append("".join(out))

    def table(self, index: int, section: Section, rows: list[Row]) -> None:
        if not rows:
            return
        start = _TABLE.format(font=_MONO if section.json or section.kind == "tool_call" else "")
        self.out.append(start)
        for span in fold([r.changed for r in rows], -1 if self.folds.all else CONTEXT):
            if self.chars >= CHARS_PER_PIECE:
                self.next_piece(start)
            if span.folded and (index, span.start) not in self.folds.opened:
                self.out.append(f"<tr><td colspan='2'><a href='{UNFOLD}{index}:{span.start}'>"
                                f"⋯ {span.end - span.start:,} unchanged lines</a></td></tr>")
                self.chars += 80
                continue
            self.span(rows[span.start:span.end], start)
        self.out.append("</table>")

    def next_piece(self, table: str) -> None:
        """End this table and this piece; the next piece goes on with a table like it."""
        self.out.append("</table>")
        self.flush()
        self.out.append(table)

    def span(self, rows: list[Row], table: str) -> None:
        same: list[str] = []  # unchanged rows read alike on both sides: one table row
        for row in rows:
            if not row.changed:
                same.append(_cell(row.left, ""))
                if len(same) < SAME_PER_ROW:
                    continue
                self.same(same)
                same = []
            else:
                if same:
                    self.same(same)
                    same = []
                self.changed(row)
            if self.chars >= CHARS_PER_PIECE:
                self.next_piece(table)
        if same:
            self.same(same)

    def same(self, lines: list[str]) -> None:
        text = "<br>".join(lines)
        self.out.append(f"<tr><td width='50%'>{text}</td><td width='50%'>{text}</td></tr>")
        self.chars += len(text)

    def changed(self, row: Row) -> None:
        left = any(s.op != "equal" for s in row.left)
        right = any(s.op != "equal" for s in row.right)
        self.out.append(
            f"<tr><td width='50%'{self._tint(left, self.c.removed_row)}>{self.anchor()}"
            f"{_cell(row.left, self.c.removed)}</td>"
            f"<td width='50%'{self._tint(right, self.c.added_row)}>"
            f"{_cell(row.right, self.c.added)}</td></tr>")
        self.chars += max(sum(len(s.text) for s in side) for side in (row.left, row.right))

    @staticmethod
    def _tint(on: bool, colour: str) -> str:
        return f" bgcolor='{colour}'" if on else ""


_SPACES = re.compile(r"  +|\t|^ ", re.MULTILINE)


def _keep_spaces(match: re.Match) -> str:
    text = match.group()
    return "&nbsp;" * 4 if text == "\t" else "&nbsp;" * len(text)


def _html(text: str) -> str:
    """Text as HTML that keeps its spaces and line breaks (without white-space: pre-wrap, which
    costs Qt a second look at every cell)."""
    return _SPACES.sub(_keep_spaces, escape(text, quote=False)).replace("\n", "<br>")


def _cell(segments, colour: str) -> str:
    out = []
    for seg in segments:
        text = _html(seg.text)
        out.append(f"<span style='background-color: {colour};'>{text}</span>"
                   if seg.op != "equal" else text)
    return "".join(out)
