"""A section's segments laid out for reading: rows side by side (the window) or lines with the
changes inline (the terminal), and which unchanged stretches to fold away.

Side by side, a row ends at a line break both texts share, so the two columns stay level: a
changed passage is one row, however many lines either side has.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct

from composer.models.diff.words import Segment

_EQUAL = "equal"


class Row(Struct, frozen=True):
    left: tuple[Segment, ...]  # equal and delete segments
    right: tuple[Segment, ...]  # equal and insert segments

    @property
    def changed(self) -> bool:
        return any(s.op != _EQUAL for s in self.left) or any(s.op != _EQUAL for s in self.right)


class Line(Struct, frozen=True):
    parts: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(s.op != _EQUAL for s in self.parts)


def side_by_side(segments: Sequence[Segment]) -> list[Row]:
    rows: list[Row] = []
    left: list[Segment] = []
    right: list[Segment] = []
    for seg in segments:
        if seg.op == "delete":
            left.append(seg)
        elif seg.op == "insert":
            right.append(seg)
        else:
            *whole, last = seg.text.split("\n")
            for piece in whole:
                if piece:
                    left.append(Segment(_EQUAL, piece))
                    right.append(Segment(_EQUAL, piece))
                rows.append(Row(tuple(left), tuple(right)))
                left, right = [], []
            if last:
                left.append(Segment(_EQUAL, last))
                right.append(Segment(_EQUAL, last))
    if left or right:
        rows.append(Row(tuple(left), tuple(right)))
    return rows


def inline_lines(segments: Sequence[Segment]) -> list[Line]:
    """The segments in reading order, cut into lines at every line break (a removed or added
    one too, as ``git diff --word-diff`` shows them)."""
    lines: list[Line] = []
    current: list[Segment] = []
    for seg in segments:
        *whole, last = seg.text.split("\n")
        for piece in whole:
            if piece:
                current.append(Segment(seg.op, piece))
            lines.append(Line(tuple(current)))
            current = []
        if last:
            current.append(Segment(seg.op, last))
    if current:
        lines.append(Line(tuple(current)))
    return lines


class Span(Struct, frozen=True):
    """Items ``start`` to ``end`` (exclusive): shown, or folded away as unchanged."""

    start: int
    end: int
    folded: bool


def fold(changed: Sequence[bool], context: int, *, smallest: int = 2) -> list[Span]:
    """Spans over items whose ``changed`` flags are given: each changed item with ``context``
    items around it shown, the unchanged stretches between folded (a fold hiding fewer than
    ``smallest`` items is not worth its line, and is shown). A negative context shows all."""
    n = len(changed)
    if context < 0 or n == 0:
        return [Span(0, n, False)] if n else []
    shown = [False] * n
    for i, flag in enumerate(changed):
        if flag:
            for k in range(max(0, i - context), min(n, i + context + 1)):
                shown[k] = True
    spans: list[Span] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or shown[i] != shown[start]:
            hide = not shown[start] and i - start >= smallest
            spans.append(Span(start, i, hide))
            start = i
    merged: list[Span] = []
    for span in spans:  # a short unchanged stretch shown joins its neighbours
        if merged and not merged[-1].folded and not span.folded:
            merged[-1] = Span(merged[-1].start, span.end, False)
        else:
            merged.append(span)
    return merged
