"""The rows an undo or a redo changed, so the table can select them once it is over.

Undoing a delete brings rows back, undoing a move takes rows back where they were, undoing an
edit changes a row: the user's eye goes there, as in a spreadsheet. The document's notices say
which rows changed while the step is replayed; they are kept by row id (a later notice of the
same step may move them) and read as rows when the stack says the step is over.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from composer.models.document import (
    Document,
    Notice,
    RowChanged,
    RowsInserted,
    RowsMoved,
    RowsRemoved,
)

MOST = 1000  # rows selected after a step at most; past that, the first of them only


class TouchedRows:
    def __init__(self, document: Document):
        self.document = document
        self._recording = False
        self._ids: list[int] = []
        self._removed_at: int | None = None  # where the first rows went, when only removed
        document.subscribe(self._notice)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Keep what changes inside (an undo, or a redo that is not the step's first run)."""
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def _notice(self, notice: Notice) -> None:
        if not self._recording:
            return
        doc = self.document
        match notice:
            case RowsInserted(index=index, count=count):
                self._ids.extend(doc.row_id(r) for r in range(index, index + count))
            case RowChanged(index=index):
                self._ids.append(doc.row_id(index))
            case RowsMoved(start=start, count=count, dest=dest):
                first = dest - count if dest > start else dest
                self._ids.extend(doc.row_id(r) for r in range(first, first + count))
            case RowsRemoved(indices=indices):
                at = indices[0]
                self._removed_at = at if self._removed_at is None else min(self._removed_at, at)

    def take(self) -> list[int] | None:
        """The rows the last step changed (still there), or where removed rows were; None
        when nothing was recorded since the last ``take`` (a new edit, not an undo or redo)."""
        ids, removed_at = self._ids, self._removed_at
        self._ids, self._removed_at = [], None
        doc = self.document
        if ids:
            rows = self._rows_of(set(ids if len(ids) <= MOST else ids[:1]))
            if rows:
                return rows
        if removed_at is not None and len(doc):
            return [min(removed_at, len(doc) - 1)]
        return [] if ids or removed_at is not None else None

    def _rows_of(self, ids: set[int]) -> list[int]:
        """The rows of ``ids`` still in the document, in order. ``index_of`` scans the rows:
        for more than a few ids, one pass over the rows costs less."""
        doc = self.document
        if len(ids) > 16:
            return [r for r in range(len(doc)) if doc.row_id(r) in ids]
        return sorted(r for i in ids if (r := doc.index_of(i)) is not None)
