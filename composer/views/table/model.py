"""MessageTableModel: a QAbstractTableModel over the Document; it owns no message data.

Reads come straight from ``document.messages``; writes go through the DocumentEditor (so they
are undoable); the document's before/after notices become begin/end calls. DisplayRole is a
capped preview, EditRole the full text, ``MessageRole`` the Message itself.
"""

from __future__ import annotations

import html
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtGui
from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from composer.models.caching import row_marks
from composer.models.document import (
    Notice,
    Reset,
    RowChanged,
    RowsInserted,
    RowsMoved,
    RowsRemoved,
    RowsReordered,
    TreeChanged,
)
from composer.models.parts import ROLES, Message, TextPart, ToolResultPart
from composer.views import spoken
from composer.views.file_urls import local_paths
from composer.views.table import preview
from composer.views.table.looks import PROBLEM_BRUSH, RowLook
from composer.views.table.marks import cache_icon, cache_tooltip
from composer.views.undo import DocumentEditor

if TYPE_CHECKING:
    from composer.views.token_count import RowFigures

MessageRole = Qt.ItemDataRole.UserRole
RowIdRole = Qt.ItemDataRole.UserRole + 1
ProblemRole = Qt.ItemDataRole.UserRole + 2
# The row's share of the input tokens ("≈ 120 tok"), painted small under the role.
TokensRole = Qt.ItemDataRole.UserRole + 3
VariantRole = Qt.ItemDataRole.UserRole + 4  # (index, count) when the row has variants, else None

ROLE_COLUMN, CONTENT_COLUMN, ATTACHMENTS_COLUMN = range(3)
HEADERS = ("Role", "Content", "Attachments")

ROWS_MIME = "application/x-composer-rows"
URI_MIME = "text/uri-list"

AnyIndex = QModelIndex | QPersistentModelIndex
_ANSWERED = frozenset({
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.BackgroundRole, MessageRole, RowIdRole, ProblemRole, TokensRole, VariantRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.AccessibleDescriptionRole,
})
# Asked for every cell at every paint: the flags built once (enum arithmetic is slow in Python).
_CELL = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
         | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled)
_EDITABLE_CELL = _CELL | Qt.ItemFlag.ItemIsEditable
LOOKS = 3000  # row looks kept: many screens of rows
# (paths, row to attach to or None, insert position for a new row or None = end)
FileDropHandler = Callable[[list[str], int | None, int | None], None]


class MessageTableModel(QAbstractTableModel):
    row_changed = Signal(int)  # content of one row changed (the view re-measures that row)

    def __init__(self, editor: DocumentEditor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.document = editor.document
        self.file_drop_handler: FileDropHandler | None = None
        self._problems: dict[int, str] = {}  # row id -> message
        # row id -> (token figure, its tooltip), from the count (views/token_count.py)
        self._tokens: RowFigures | None = None
        tree = self.document.tree
        # Rows that show "◀ i/n ▶" (a taller row), as of the last tree notice.
        self._variant_rows: set[int] = set(tree.variant_rows) if tree is not None else set()
        # id(message) -> its preview, and -> the message itself (what makes the id valid): kept
        # per message, so a branch shown again (the same messages in new rows) or a moved row
        # keeps its preview. Two flat dicts, not a tuple a row: a big document's scroll fills
        # them, and every tuple is an object a full garbage collection walks.
        self._preview_texts: dict[int, str] = {}
        self._preview_messages: dict[int, Message] = {}
        # row id -> what its cells show (looks.py), for the rows painted last (LOOKS of them;
        # the oldest go first, a few at a time, not all at once in the middle of a scroll).
        self._looks: OrderedDict[int, RowLook] = OrderedDict()
        self.document.subscribe(self._on_document_changed, before=self._on_document_changing)

    def detach(self) -> None:
        self.document.unsubscribe(self._on_document_changed, before=self._on_document_changing)

    # -- problems (view state, keyed by row id so they follow the row) -----------------------

    def mark_problem(self, row: int, text: str) -> None:
        self._problems[self.document.row_id(row)] = text
        self._emit_row(row)

    def clear_problems(self) -> None:
        rows = [self.document.index_of(i) for i in self._problems]
        self._problems.clear()
        for row in rows:
            if row is not None:
                self._emit_row(row)

    def problem(self, row: int) -> str | None:
        return self._problems.get(self.document.row_id(row))

    # -- token figures (view state, keyed by row id: a moved row keeps its figure) ------------

    def set_tokens(self, figures: RowFigures) -> None:
        """Each row's token figure and its tooltip by row id (a row not named shows none)."""
        if figures == self._tokens:
            return
        self._tokens = figures
        self._looks.clear()
        if len(self.document):
            self.dataChanged.emit(self.index(0, ROLE_COLUMN),
                                  self.index(len(self.document) - 1, ROLE_COLUMN),
                                  [TokensRole, Qt.ItemDataRole.ToolTipRole])

    def tokens(self, row: int) -> tuple[str, str] | None:
        return self._figure(self.document.row_id(row))

    def _figure(self, row_id: int) -> tuple[str, str] | None:
        return self._tokens.get(row_id) if self._tokens is not None else None

    def _emit_row(self, row: int) -> None:
        self._looks.pop(self.document.row_id(row), None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    # -- document notices ---------------------------------------------------------------------

    def _on_document_changing(self, notice: Notice) -> None:
        # A row's variants depend on its place: any change but one row's drops every look.
        if not isinstance(notice, RowChanged):
            self._looks.clear()
        root = QModelIndex()
        match notice:
            case RowsInserted(index=i, count=c):
                self.beginInsertRows(root, i, i + c - 1)
            case RowsRemoved():
                self.beginRemoveRows(root, notice.first, notice.last)
            case RowsMoved(start=s, count=c, dest=d):
                ok = self.beginMoveRows(root, s, s + c - 1, root, d)
                assert ok, f"document sent an invalid move {notice}"
            case RowsReordered():
                self.layoutAboutToBeChanged.emit()
            case Reset():
                self.beginResetModel()

    def _on_document_changed(self, notice: Notice) -> None:
        match notice:
            case RowsInserted():
                self.endInsertRows()
            case RowsRemoved():
                self.endRemoveRows()
                live = set(self.document.ids)
                self._problems = {k: v for k, v in self._problems.items() if k in live}
            case RowsMoved():
                self.endMoveRows()
            case RowsReordered(order=order):
                self._remap_persistent(order)
                self.layoutChanged.emit()
            case Reset():
                self._problems.clear()
                self._preview_texts.clear()
                self._preview_messages.clear()
                # The rows are measured as the reset ends, with their variants: the tree's
                # notice that follows changes nothing more.
                tree = self.document.tree
                self._variant_rows = set(tree.variant_rows) if tree is not None else set()
                self.endResetModel()
            case RowChanged(index=r):
                self._emit_row(r)  # drops its look
                self.row_changed.emit(r)
            case TreeChanged():
                self._on_tree_changed()

    def _remap_persistent(self, order) -> None:
        """Selections and editors hold persistent indexes: send each to its row's new place."""
        new_row = [0] * len(order)
        for new, old in enumerate(order):
            new_row[old] = new
        old_list = self.persistentIndexList()
        new_list = [self.index(new_row[i.row()], i.column()) if 0 <= i.row() < len(order)
                    else QModelIndex() for i in old_list]
        self.changePersistentIndexList(old_list, new_list)

    def _on_tree_changed(self) -> None:
        """Which rows have variants, and which is shown: the role column repaints, and a row
        that gains or loses "◀ i/n ▶" is measured again (it takes a second line)."""
        tree = self.document.tree
        rows = set(tree.variant_rows) if tree is not None else set()
        changed, self._variant_rows = rows ^ self._variant_rows, rows
        self._looks.clear()
        if not len(self.document):
            return
        last = len(self.document) - 1
        self.dataChanged.emit(self.index(0, ROLE_COLUMN), self.index(last, ROLE_COLUMN),
                              [VariantRole, Qt.ItemDataRole.AccessibleTextRole])
        for row in sorted(changed):
            if row <= last:
                self.row_changed.emit(row)

    def _variant(self, row: int) -> tuple[int, int] | None:
        """Row ``row``'s variants, while it still is the tree's node at that place (a row
        edited, moved or inserted since the last commit has no variants yet)."""
        tree = self.document.tree
        found = None if tree is None else tree.variant_rows.get(row)
        if found is None:
            return None
        shown = tree.node(tree.path[row]).message
        message = self.document.message(row)
        return found if shown is message or shown == message else None

    def look(self, row: int) -> RowLook:
        """What row ``row``'s cells show (looks.py), made once until the row changes."""
        row_id = self.document.row_id(row)
        message = self.document.message(row)
        found = self._looks.get(row_id)
        if found is not None and found.message is message:
            return found
        figure = self._figure(row_id)
        # Most rows have no variants: the tree (a slow attribute) is read only for those that do.
        variant = self._variant(row) if row in self._variant_rows else None
        look = RowLook(message, message.role, self._preview(message), variant,
                       figure[0] if figure else None, bool(self._problems.get(row_id)),
                       row_marks(message), bool(message.attachments))
        looks = self._looks
        looks[row_id] = look
        if len(looks) > LOOKS:  # made again when needed: cheap, but each holds objects
            looks.popitem(last=False)
        return look

    def _preview(self, message) -> str:
        """The content preview, cached per message until it is replaced (a branch shown again
        brings back the same messages in new rows)."""
        key = id(message)
        if self._preview_messages.get(key) is message:
            return self._preview_texts[key]
        text = preview.content_preview(message)
        if len(self._preview_texts) > 4 * len(self.document) + 1000:
            self._preview_texts.clear()
            self._preview_messages.clear()
        self._preview_texts[key] = text
        self._preview_messages[key] = message
        return text

    # -- Qt overrides -------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.document)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return str(section + 1)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Views ask for a dozen roles per cell per paint; answer the ones we ignore at once.
        if role not in _ANSWERED or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not 0 <= row < len(self.document):
            return None
        message = self.document.message(row)
        if role == MessageRole:
            return message
        if role == RowIdRole:
            return self.document.row_id(row)
        if role == ProblemRole:
            return self.problem(row)
        if role == TokensRole:
            figure = self.tokens(row) if col == ROLE_COLUMN else None
            return figure[0] if figure else None
        if role == VariantRole:
            return self._variant(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == ROLE_COLUMN:
                return message.role
            if col == CONTENT_COLUMN:
                return self._preview(message)
            if col == ATTACHMENTS_COLUMN:
                return ", ".join(preview.attachment_label(a) for a in message.attachments)
        elif role == Qt.ItemDataRole.EditRole:
            if col == ROLE_COLUMN:
                return message.role
            if col == CONTENT_COLUMN:
                result = tool_output_index(message)
                return message.plain_text if result is None else message.parts[result].output
        elif role == Qt.ItemDataRole.ToolTipRole:
            problem = self.problem(row)
            if problem:
                return _plain_tooltip(problem)
            if col == ATTACHMENTS_COLUMN:
                labels = "\n".join(preview.attachment_label(a) for a in message.attachments)
                return _plain_tooltip(labels) if labels else None
            if col == ROLE_COLUMN:
                tips = []
                if ttl := row_marks(message):
                    tips.append(cache_tooltip(ttl))
                if figure := self.tokens(row):
                    tips.append(figure[1])
                if tips:
                    return "\n".join(tips)
            return preview.tooltip_text(message)
        elif role == Qt.ItemDataRole.DecorationRole:
            ttl = row_marks(message) if col == ROLE_COLUMN else None
            return cache_icon(ttl) if ttl else None
        elif role == Qt.ItemDataRole.BackgroundRole:
            if self.problem(row):
                return PROBLEM_BRUSH
        elif role == Qt.ItemDataRole.AccessibleTextRole:
            text = spoken.cell_text(message, row, col)
            variant = self._variant(row) if col == ROLE_COLUMN else None
            return f"{text}, variant {variant[0] + 1} of {variant[1]}" if variant else text
        elif role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return spoken.parts_summary(message)
        return None

    def setData(self, index: AnyIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, col = index.row(), index.column()
        if col == ROLE_COLUMN and value in ROLES:
            self.editor.set_role([row], value)
            return True
        if col == CONTENT_COLUMN and isinstance(value, str):
            message = self.document.message(row)
            result = tool_output_index(message)
            if result is None:
                self.editor.set_text(row, value, merge=False)
            else:
                part = message.parts[result]
                if part.output != value:
                    self.editor.replace_part(row, result, part.model_copy(update={"output": value}),
                                             "Edit tool output")
            return True
        return False

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops on empty space
        column = index.column()
        if column == ROLE_COLUMN or (
                column == CONTENT_COLUMN and _content_editable(index.row(), self.document)):
            return _EDITABLE_CELL
        return _CELL

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME, URI_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        payload = {"document": id(self.document), "ids": [self.document.row_id(r) for r in rows]}
        mime.setData(ROWS_MIME, QByteArray(json.dumps(payload).encode()))
        messages = [self.document.message(r).to_dict() for r in rows]
        mime.setText(json.dumps({"messages": messages}, ensure_ascii=False, indent=2))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: AnyIndex) -> bool:
        if data.hasFormat(ROWS_MIME):
            return self._dragged_rows(data) is not None
        return bool(local_paths(data)) and self.file_drop_handler is not None

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: AnyIndex) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if data.hasFormat(ROWS_MIME):
            rows = self._dragged_rows(data)
            if rows is None:
                return False
            if parent.isValid():  # dropped onto a row: land on the far side of it
                dest = parent.row() if parent.row() < rows[0] else parent.row() + 1
            else:
                dest = len(self.document) if row < 0 else row
            self.editor.move_rows(rows, dest)
            # WORKAROUND https://github.com/qgis/QGIS/issues/66732: the move is done; returning
            # False keeps the view from removing the source rows a second time.
            return False
        paths = local_paths(data)
        if not paths or self.file_drop_handler is None:
            return False
        if parent.isValid():
            self.file_drop_handler(paths, parent.row(), None)
        else:
            self.file_drop_handler(paths, None, None if row < 0 else row)
        return True

    def _dragged_rows(self, data: QMimeData) -> list[int] | None:
        try:
            payload = json.loads(bytes(data.data(ROWS_MIME).data()).decode())
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict) or payload.get("document") != id(self.document):
            return None
        rows = [self.document.index_of(i) for i in payload.get("ids", [])]
        if not rows or any(r is None for r in rows):
            return None
        return sorted(rows)  # type: ignore[arg-type]


def _plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as written: Qt renders a tooltip that looks like HTML as
    HTML, and problems and file names come from the file."""
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def tool_output_index(message: Message) -> int | None:
    """The part a tool row's content cell edits: its one tool result, when the row holds no
    text (the output is what the row says); None when the cell edits the row's text."""
    if any(isinstance(p, TextPart) for p in message.parts):
        return None
    results = [i for i, p in enumerate(message.parts) if isinstance(p, ToolResultPart)]
    return results[0] if len(results) == 1 else None


def _content_editable(row: int, document) -> bool:
    """A row of several tool results and no text has no one text to edit in the cell: its
    outputs are edited in the detail editor (a new text part would not be sent as one)."""
    if not 0 <= row < len(document):
        return False
    message = document.message(row)
    results = sum(isinstance(p, ToolResultPart) for p in message.parts)
    return results <= 1 or any(isinstance(p, TextPart) for p in message.parts)


