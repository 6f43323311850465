"""Undo for the document: one generic QUndoCommand around an edit, and the editor views use.

``DocumentEditor`` is the only way a view changes messages: every method builds an edit and
pushes an ``EditCommand`` (``QUndoStack.push`` runs ``redo()``, which applies it). Undo applies
the inverse the document returned, and keeps the edit *that* returns for the next redo, so a
re-inserted row comes back with the same id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtGui import QUndoCommand, QUndoStack

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.document import (
    Document,
    Edit,
    EditGroup,
    InsertRows,
    MoveRows,
    RemoveRows,
    ReplaceAll,
    ReplaceMessage,
    with_role,
    with_text,
)
from composer.models.parts import AttachmentPart, Message, Role
from composer.views.touched_rows import TouchedRows

_MERGE_ID = 0x436F6D70  # any constant: commands with a merge key share it


class EditCommand(QUndoCommand):
    """One edit. ``merge_key`` (e.g. ("text", row id)) lets a run of typing become one step."""

    def __init__(self, document: Document, edit: Edit, touched: TouchedRows, text: str = "",
                 merge_key: object | None = None):
        super().__init__(text)
        self.document = document
        self._redo_edit: Edit = edit
        self._undo_edit: Edit | None = None
        self._applied = False  # the first redo is the step itself (QUndoStack.push runs it)
        self.merge_key = merge_key
        self._touched = touched

    def redo(self) -> None:
        if not self._applied:  # the view that made the step selects what it wants
            self._applied = True
            self._undo_edit = self.document.apply(self._redo_edit)
            return
        with self._touched.recording():
            self._undo_edit = self.document.apply(self._redo_edit)

    def undo(self) -> None:
        assert self._undo_edit is not None
        with self._touched.recording():
            self._redo_edit = self.document.apply(self._undo_edit)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key:
            return False
        if not (isinstance(self._redo_edit, ReplaceMessage)
                and isinstance(other._redo_edit, ReplaceMessage)
                and isinstance(self._undo_edit, ReplaceMessage)):
            return False
        # Keep our first undo (the text before the run), take the latest text for redo.
        self._redo_edit = other._redo_edit
        self._undo_edit = ReplaceMessage(other._redo_edit.index, self._undo_edit.message)
        if self._undo_edit.message == self._redo_edit.message:
            self.setObsolete(True)  # typed and then deleted back to where it started
        return True


class DocumentEditor:
    def __init__(self, document: Document, undo_stack: QUndoStack | None = None):
        self.document = document
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack()
        self.touched = TouchedRows(document)  # what an undo or redo changed, for the table

    # -- plumbing -----------------------------------------------------------------------------

    def push(self, edit: Edit, text: str, merge_key: object | None = None) -> None:
        self.undo_stack.push(EditCommand(self.document, edit, self.touched, text, merge_key))

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Group the pushes inside into one undo step."""
        self.undo_stack.beginMacro(text)
        try:
            yield
        finally:
            self.undo_stack.endMacro()

    def _rows(self, rows: Iterable[int]) -> list[int]:
        n = len(self.document)
        return sorted({r for r in rows if 0 <= r < n})

    # -- rows ---------------------------------------------------------------------------------

    def insert_messages(self, index: int, messages: Sequence[Message],
                        text: str | None = None) -> None:
        if not messages:
            return
        index = max(0, min(index, len(self.document)))
        label = text or ("Insert row" if len(messages) == 1 else f"Insert {len(messages)} rows")
        self.push(InsertRows(index, tuple(messages)), label)

    def add_row(self, role: Role = "user", index: int | None = None) -> int:
        """Add an empty message of ``role``; returns its row."""
        at = len(self.document) if index is None else max(0, min(index, len(self.document)))
        self.push(InsertRows(at, (Message.text(role, ""),)), f"Add {role} row")
        return at

    def remove_rows(self, rows: Iterable[int]) -> None:
        rows = self._rows(rows)
        if rows:
            self.push(RemoveRows(tuple(rows)),
                      "Delete row" if len(rows) == 1 else f"Delete {len(rows)} rows")

    def move_rows(self, rows: Iterable[int], dest: int) -> bool:
        """Move rows to before pre-move row ``dest``; False (and no undo step) for a no-op."""
        rows = self._rows(rows)
        dest = max(0, min(dest, len(self.document)))
        if not rows or _is_noop_move(rows, dest):
            return False
        self.push(MoveRows(tuple(rows), dest),
                  "Move row" if len(rows) == 1 else f"Move {len(rows)} rows")
        return True

    def move_up(self, rows: Iterable[int]) -> bool:
        rows = self._rows(rows)
        if not rows or rows[0] == 0:
            return False
        return self.move_rows(rows, rows[0] - 1)

    def move_down(self, rows: Iterable[int]) -> bool:
        rows = self._rows(rows)
        if not rows or rows[-1] >= len(self.document) - 1:
            return False
        return self.move_rows(rows, rows[-1] + 2)

    def duplicate_rows(self, rows: Iterable[int]) -> list[int]:
        """Copy each row in place after the last selected one; returns the new rows."""
        rows = self._rows(rows)
        if not rows:
            return []
        copies = tuple(self.document.message(r).model_copy(deep=True) for r in rows)
        at = rows[-1] + 1
        self.push(InsertRows(at, copies),
                  "Duplicate row" if len(rows) == 1 else f"Duplicate {len(rows)} rows")
        return list(range(at, at + len(copies)))

    def set_role(self, rows: Iterable[int], role: Role) -> None:
        rows = [r for r in self._rows(rows) if self.document.message(r).role != role]
        if not rows:
            return
        edits = tuple(ReplaceMessage(r, with_role(self.document.message(r), role)) for r in rows)
        self.push(edits[0] if len(edits) == 1 else EditGroup(edits),
                  f"Set role to {role}" if len(rows) == 1 else f"Set {len(rows)} roles to {role}")

    def set_text(self, row: int, text: str, *, merge: bool = True) -> None:
        """Replace the row's text; consecutive calls on one row merge into one undo step."""
        message = self.document.message(row)
        if message.plain_text == text:
            return
        key = ("text", self.document.row_id(row)) if merge else None
        self.push(ReplaceMessage(row, with_text(message, text)), "Edit text", key)

    def replace_message(self, row: int, message: Message, text: str = "Edit message",
                        merge_key: object | None = None) -> None:
        if self.document.message(row) == message:
            return
        self.push(ReplaceMessage(row, message), text, merge_key)

    def add_attachments(self, row: int | None, attachments: Sequence[Attachment]) -> int:
        """Attach to ``row``, or to a new user row at the end when ``row`` is None; one undo
        step either way. Returns the row."""
        if row is None:
            return self.insert_attachment_row(len(self.document), attachments)
        message = self.document.message(row)
        parts = [*message.parts, *(AttachmentPart(attachment=a) for a in attachments)]
        self.push(ReplaceMessage(row, message.model_copy(update={"parts": parts})),
                  _attach_label(attachments))
        return row

    def insert_attachment_row(self, index: int, attachments: Sequence[Attachment]) -> int:
        """A new user row at ``index`` holding the attachments; returns its row."""
        index = max(0, min(index, len(self.document)))
        parts = [AttachmentPart(attachment=a) for a in attachments]
        self.push(InsertRows(index, (Message(role="user", parts=parts),)),
                  _attach_label(attachments))
        return index

    def remove_attachment(self, row: int, part_index: int) -> None:
        self.remove_part(row, part_index, "Remove attachment")

    def remove_part(self, row: int, part_index: int, text: str = "Remove part") -> None:
        message = self.document.message(row)
        if not 0 <= part_index < len(message.parts):
            return
        parts = [p for i, p in enumerate(message.parts) if i != part_index]
        self.push(ReplaceMessage(row, message.model_copy(update={"parts": parts})), text)

    def replace_part(self, row: int, part_index: int, part, text: str = "Edit part",
                     merge: object = None) -> None:
        """Replace one part; a truthy ``merge`` (e.g. the field's name) merges consecutive
        edits of that field into one undo step."""
        message = self.document.message(row)
        if message.parts[part_index] == part:
            return
        parts = list(message.parts)
        parts[part_index] = part
        key = ("part", self.document.row_id(row), part_index, merge) if merge else None
        self.push(ReplaceMessage(row, message.model_copy(update={"parts": parts})), text, key)

    def append_part(self, row: int, part, text: str = "Add part") -> None:
        message = self.document.message(row)
        self.push(ReplaceMessage(row, message.model_copy(update={"parts": [*message.parts,
                                                                           part]})), text)

    # -- whole document -----------------------------------------------------------------------

    def replace_all(self, conversation: Conversation) -> None:
        """Open/New: replace everything; not undoable, so the stack is cleared and clean."""
        self.document.apply(ReplaceAll(conversation))
        self.undo_stack.clear()
        self.undo_stack.setClean()


def _attach_label(attachments: Sequence[Attachment]) -> str:
    return "Attach file" if len(attachments) == 1 else f"Attach {len(attachments)} files"


def _is_noop_move(rows: Sequence[int], dest: int) -> bool:
    """True when ``rows`` are already one contiguous block sitting at ``dest``."""
    contiguous = rows[-1] - rows[0] + 1 == len(rows)
    return contiguous and rows[0] <= dest <= rows[-1] + 1
