"""MessageTable: the view of the conversation's rows, with its editing actions.

Every change goes through the DocumentEditor (undoable). The actions are attributes so the
window can put them in menus and the toolbar; their shortcuts work while the table has focus,
so a text field elsewhere keeps its own Copy/Paste/Delete.

Row heights: never ``ResizeToContents`` (it measures every row on every layout). Rows start at a
default height and are measured once when they first come into view or change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemDelegate,
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from composer.models.parts import ROLES
from composer.views import dialogs, memory
from composer.views.attachments import AttachmentLoader, run_off_thread
from composer.views.clipboard import (
    INLINE_TEXT_LIMIT,
    Pasted,
    messages_mime,
    pasted_text,
    read_clipboard,
)
from composer.views.qt_start import own_viewport
from composer.views.table.delegates import (
    AttachmentDelegate,
    CellHeights,
    ContentDelegate,
    RoleDelegate,
)
from composer.views.table.grid import paint_grid
from composer.views.table.model import (
    ATTACHMENTS_COLUMN,
    CONTENT_COLUMN,
    ROLE_COLUMN,
    ROWS_MIME,
    MessageTableModel,
    local_paths,
)
from composer.views.table.row_numbers import RowNumbers
from composer.views.undo import DocumentEditor

if TYPE_CHECKING:
    from composer.views.token_count import RowFigures

# Rows measured at once when a whole document arrives; the rest as they scroll into view.
_EAGER_ROWS = 200
_ATTACHMENTS_WIDTH = 220  # the attachments column, where the table has room for it
_ATTACHMENTS_LEAST = 80
_BIG_DOCUMENT = 1000  # rows from which a document's objects are kept out of full collections


class MessageTable(QTableView):
    current_row_changed = Signal(int)  # -1 when no row is current
    attachment_activated = Signal(int, int)  # row, part index: the user clicked a chip
    problem_shown = Signal(str)  # a paste or drop could not be done (also shown in a box)
    notice = Signal(str)  # something worth a line in the status bar (what a paste left out)
    variant_step_requested = Signal(int, int)  # row, -1 or +1: a click on "◀" or "▶"

    def __init__(self, editor: DocumentEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.document = editor.document
        self._model = MessageTableModel(editor, self)
        self.setModel(self._model)
        self.loader = AttachmentLoader(editor, self)
        self.loader.attached.connect(self._on_loader_attached)
        self._model.file_drop_handler = self.loader.add_files
        self._measured: set[int] = set()  # row ids whose height fits their content
        self._froze = False  # a big document was kept out of full collections (memory.py)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_visible_rows)

        self.extra_menu_actions: list[QAction] = []
        self._role_delegate = RoleDelegate(self)
        self._content_delegate = ContentDelegate(self)
        self._attachment_delegate = AttachmentDelegate(self)
        self.setItemDelegateForColumn(ROLE_COLUMN, self._role_delegate)
        self.setItemDelegateForColumn(CONTENT_COLUMN, self._content_delegate)
        self.setItemDelegateForColumn(ATTACHMENTS_COLUMN, self._attachment_delegate)
        self._role_delegate.step_requested.connect(self.variant_step_requested)
        self._attachment_delegate.remove_requested.connect(self._on_chip_remove_requested)
        self._attachment_delegate.attachment_clicked.connect(self._on_chip_clicked)

        self.setAccessibleName("Messages")
        self.findChild(QAbstractButton).setAccessibleName("Select all rows")  # the corner button
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        own_viewport(self, QPalette.ColorRole.Base)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)

        header = self.horizontalHeader()
        header.setSectionResizeMode(ROLE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(CONTENT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ATTACHMENTS_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(ROLE_COLUMN, 96)
        header.resizeSection(ATTACHMENTS_COLUMN, _ATTACHMENTS_WIDTH)
        self._fitting_columns = False
        self._attachments_sized = False  # by the user: then it stays as they made it
        header.sectionResized.connect(self._on_section_resized)
        self.setVerticalHeader(RowNumbers(self))
        vheader = self.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        vheader.setDefaultSectionSize(2 * self.fontMetrics().lineSpacing() + 10)
        # The grid is drawn by paintEvent (grid.py), not with Qt's pen, pixel by pixel.
        self.setGridStyle(Qt.PenStyle.NoPen)

        self._make_actions()
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._model.rowsInserted.connect(self._on_rows_inserted)
        self._model.rowsMoved.connect(self._on_rows_moved)
        self._model.layoutChanged.connect(self._on_rows_moved)
        self._model.modelReset.connect(self._on_model_reset)
        self._model.row_changed.connect(self._on_model_row_changed)
        self.verticalScrollBar().valueChanged.connect(self._fit_visible_rows)
        self.editor.undo_stack.indexChanged.connect(self._update_actions)
        self.editor.undo_stack.indexChanged.connect(self._select_touched)
        self._fit_rows(range(min(len(self.document), _EAGER_ROWS)))
        self._keep_big_document_out_of_collections()
        self._update_actions()

    # -- actions ------------------------------------------------------------------------------

    def _action(self, text: str, shortcut, slot, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setStatusTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.add_row_action = self._action("&Add Row", "Ctrl+Shift+N", self.add_row,
                                           "Add a user row at the end")
        self.insert_above_action = self._action("Insert &Above", "Ctrl+Shift+I",
                                                self.insert_above)
        self.insert_below_action = self._action("Insert &Below", "Ctrl+I", self.insert_below)
        self.duplicate_action = self._action("D&uplicate", "Ctrl+D", self.duplicate_selected)
        self.delete_action = self._action("&Delete Rows", QKeySequence.StandardKey.Delete,
                                          self.delete_selected)
        self.move_up_action = self._action("Move &Up", "Alt+Up", self.move_selected_up)
        self.move_down_action = self._action("Move Do&wn", "Alt+Down", self.move_selected_down)
        self.copy_action = self._action("&Copy Rows", QKeySequence.StandardKey.Copy,
                                        self.copy_selected)
        self.paste_action = self._action("&Paste Rows", QKeySequence.StandardKey.Paste,
                                         self.paste)
        self.attach_action = self._action("A&ttach Files…", "Ctrl+Shift+A", self.pick_files)
        self.role_actions: dict[str, QAction] = {}
        for n, role in enumerate(ROLES, start=1):
            self.role_actions[role] = self._action(
                f"Set Role: {role.capitalize()}", f"Ctrl+{n}",
                lambda _checked=False, r=role: self.set_selected_role(r))

    def _update_actions(self, *_args) -> None:
        rows = self.selected_rows()
        n = len(self.document)
        has = bool(rows)
        for action in (self.duplicate_action, self.delete_action, self.copy_action,
                       *self.role_actions.values()):
            action.setEnabled(has)
        self.move_up_action.setEnabled(has and rows[0] > 0)
        self.move_down_action.setEnabled(has and rows[-1] < n - 1)

    # -- reading ------------------------------------------------------------------------------

    def _select_touched(self, *_args) -> None:
        """After an undo or redo, the rows it changed are the selection (composer/views/
        touched_rows.py); left as it is when they already are (undoing typing in a row)."""
        rows = self.editor.touched.take()
        if rows is not None and rows != self.selected_rows():
            self.select_rows(rows)

    def selected_rows(self) -> list[int]:
        sm = self.selectionModel()
        return sorted({i.row() for i in sm.selectedRows()}) if sm is not None else []

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def select_rows(self, rows, current: int | None = None) -> None:
        """Select ``rows`` (and make ``current`` or the first of them current)."""
        rows = sorted(r for r in rows if 0 <= r < len(self.document))
        sm = self.selectionModel()
        selection = QItemSelection()
        last = self._model.columnCount() - 1
        for r in rows:
            selection.select(self._model.index(r, 0), self._model.index(r, last))
        flags = QItemSelectionModel.SelectionFlag
        if rows:
            cur = current if current is not None else rows[0]
            sm.setCurrentIndex(self._model.index(cur, CONTENT_COLUMN), flags.NoUpdate)
            self.scrollTo(self._model.index(cur, CONTENT_COLUMN))
        sm.select(selection, flags.ClearAndSelect | flags.Rows)

    def commit_open_edit(self) -> None:
        """Commit the cell being edited and close its editor: a command that reads the
        document (Send, Save) must see what the user typed, not the text before the edit."""
        if self.state() != QAbstractItemView.State.EditingState:
            return
        editor = self.indexWidget(self.currentIndex())
        if editor is None:
            return
        self.commitData(editor)
        self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    # -- problems -----------------------------------------------------------------------------

    def mark_problem(self, row: int, text: str) -> None:
        """Highlight ``row`` with ``text`` (its tooltip) until ``clear_problems``."""
        if 0 <= row < len(self.document):
            self._model.mark_problem(row, text)
            self.scrollTo(self._model.index(row, CONTENT_COLUMN))

    def clear_problems(self) -> None:
        self._model.clear_problems()

    def problem(self, row: int) -> str | None:
        return self._model.problem(row)

    def set_tokens(self, figures: RowFigures) -> None:
        """Each row's token figure and tooltip, by row id (composer/views/token_count.py)."""
        self._model.set_tokens(figures)

    def tokens(self, row: int) -> tuple[str, str] | None:
        return self._model.tokens(row)

    # -- editing ------------------------------------------------------------------------------

    def add_row(self, role: str = "user") -> None:
        role = role if role in ROLES else "user"
        row = self.editor.add_row(role)  # type: ignore[arg-type]
        self.select_rows([row])

    def insert_above(self) -> None:
        rows = self.selected_rows()
        at = rows[0] if rows else 0
        self.select_rows([self.editor.add_row(self._role_for_new(at - 1), at)])

    def insert_below(self) -> None:
        rows = self.selected_rows()
        at = rows[-1] + 1 if rows else len(self.document)
        self.select_rows([self.editor.add_row(self._role_for_new(at - 1), at)])

    def _role_for_new(self, prev: int):
        """The role that usually follows row ``prev``: user after assistant, and so on."""
        if not 0 <= prev < len(self.document):
            return "user"
        role = self.document.message(prev).role
        return "assistant" if role in ("user", "tool") else "user"

    def duplicate_selected(self) -> None:
        self.select_rows(self.editor.duplicate_rows(self.selected_rows()))

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        self.editor.remove_rows(rows)
        if len(self.document):
            self.select_rows([min(rows[0], len(self.document) - 1)])

    def move_selected_up(self) -> None:
        self._move_keeping_selection(self.editor.move_up)

    def move_selected_down(self) -> None:
        self._move_keeping_selection(self.editor.move_down)

    def _move_keeping_selection(self, move) -> None:
        rows = self.selected_rows()
        ids = [self.document.row_id(r) for r in rows]
        current = self.current_row()
        current_id = self.document.row_id(current) if 0 <= current < len(self.document) else None
        if move(rows):
            self._reselect(ids, current_id)

    def _reselect(self, ids, current_id) -> None:
        rows = [r for i in ids if (r := self.document.index_of(i)) is not None]
        cur = self.document.index_of(current_id) if current_id is not None else None
        self.select_rows(rows, cur if cur in rows else None)

    def set_selected_role(self, role: str) -> None:
        self.editor.set_role(self.selected_rows(), role)  # type: ignore[arg-type]

    def copy_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            messages = [self.document.message(r) for r in rows]
            QGuiApplication.clipboard().setMimeData(messages_mime(messages))

    def paste(self) -> None:
        pasted = read_clipboard(QGuiApplication.clipboard().mimeData(),
                                defer_over=INLINE_TEXT_LIMIT)
        rows = self.selected_rows()
        if pasted.deferred_text is not None:  # detected on a worker thread, applied after
            text = pasted.deferred_text
            self._paste_job = run_off_thread(self, lambda: pasted_text(text),
                                             lambda done: self._apply_paste(done, rows))
            return
        self._apply_paste(pasted, rows)

    def _apply_paste(self, pasted: Pasted, rows: list[int]) -> None:
        rows = [r for r in rows if r < len(self.document)]  # the document may have changed
        if pasted.problem:
            self._show_problem("Paste", pasted.problem)
        elif pasted.paths:
            self.loader.add_files(pasted.paths, rows[-1] if len(rows) == 1 else None)
        elif pasted.image is not None:
            self.loader.add_image(pasted.image, rows[-1] if len(rows) == 1 else None)
        elif pasted.messages:
            at = rows[-1] + 1 if rows else len(self.document)
            self.editor.insert_messages(at, pasted.messages,
                                        "Paste row" if len(pasted.messages) == 1
                                        else f"Paste {len(pasted.messages)} rows")
            self.select_rows(range(at, at + len(pasted.messages)))
            if pasted.notes:
                shown = "; ".join(pasted.notes[:3])
                more = f" (+{len(pasted.notes) - 3} more)" if len(pasted.notes) > 3 else ""
                self.notice.emit(f"Pasted with notes: {shown}{more}")

    def pick_files(self) -> None:
        """Attach files chosen in a file dialog to the current row (or a new user row)."""
        row = self.current_row()
        self._file_dialog = self.loader.choose_files(row if row >= 0 else None)  # for tests

    def _show_problem(self, title: str, text: str) -> None:
        self.problem_shown.emit(text)
        dialogs.inform(self, title, text, warning=True)

    # -- row heights --------------------------------------------------------------------------

    def _fit_rows(self, rows) -> bool:
        """Each row as tall as its cells ask (what ``resizeRowToContents`` gives), measured
        from the row's look (looks.py) instead of through three delegates' size hints and the
        header's, each a trip through Qt with a dozen model reads."""
        # With its updates on, the header finds each resized row's place on screen at once,
        # and every resize has made it forget where its rows start: O(rows) a row measured.
        # Off, the places are found once, when the table next lays itself out.
        header = self.verticalHeader()
        updates = header.updatesEnabled()
        header.setUpdatesEnabled(False)
        fitted = False
        try:
            measure = None
            for r in rows:
                if measure is None:
                    measure = self._row_measure(r)
                header.resizeSection(r, measure(r))
                self._measured.add(self.document.row_id(r))
                fitted = True
        finally:
            header.setUpdatesEnabled(updates)
        return fitted

    def _row_measure(self, first: int):
        """A function of a row giving its height, as ``resizeRowToContents`` would: the
        largest of the cells' size hints (the attachments' at the column's width), a pixel
        for the grid, and at least what the header asks for a row number."""
        self.ensurePolished()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        cells = CellHeights(option)
        role, content, attachments = cells.role, cells.content, cells.attachments
        width = self.columnWidth(ATTACHMENTS_COLUMN)
        grid = 1 if self.showGrid() else 0
        least = self.verticalHeader().sectionSizeHint(first)
        look = self._model.look

        def measure(row: int) -> int:
            row_look = look(row)
            tallest = max(role(row_look), content(row_look), attachments(row_look, width))
            return max(tallest + grid, least)
        return measure

    def _fit_visible_rows(self, *_args) -> None:
        first = self.rowAt(0)
        if first < 0:
            return
        row_id, measured = self.document.row_id, self._measured
        fitted = self._fit_rows(r for r in self._rows_down_to_bottom(first)
                                if row_id(r) not in measured)
        # Measured rows change the table's height at once, its scroll range only on a later
        # timer: scrolled near the end, the offset could lie past the last row until then, and
        # Qt then paints every row and header section from the first (O(rows) a paint).
        if fitted and (self.verticalHeader().length() - self.viewport().height()
                       < self.verticalScrollBar().value()):
            self.updateGeometries()

    def _rows_down_to_bottom(self, first: int):
        """The rows from ``first`` down to the viewport's bottom, by each row's height as it is
        when the next is asked for: rows measured shorter than the default let more rows onto
        the screen, and those are measured too (they would be painted at the default height
        until shown again, and measured only then, shrinking the table under the scroll bar)."""
        header = self.verticalHeader()
        bottom = self.viewport().height()
        top = header.sectionViewportPosition(first)
        for row in range(first, len(self.document)):
            if top >= bottom:
                return
            yield row
            top += header.sectionSize(row)  # measured by now, when it was not yet

    # -- handlers -----------------------------------------------------------------------------

    def _rows_on_screen(self) -> int:
        """At most how many rows the viewport shows (rows are never shorter than one line)."""
        line = self.fontMetrics().lineSpacing() + 8
        return max(self.viewport().height(), 800) // line + 1

    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        if last - first < self._rows_on_screen():
            self._fit_rows(range(first, last + 1))
        else:  # many rows at once (a branch shown): measure those that come into view
            self._fit_timer.start()

    def _on_rows_moved(self, *_args) -> None:
        # Section sizes may not travel with moved rows; re-measuring the whole range would make
        # a move O(rows). Forget what was measured and fit what is on screen, once per burst
        # (a scattered move arrives as one notice per row).
        self._measured.clear()
        self._fit_timer.start()

    def _on_model_reset(self) -> None:
        self._measured.clear()
        self._fit_rows(range(min(len(self.document), _EAGER_ROWS, self._rows_on_screen())))
        self._fit_timer.start()
        self.current_row_changed.emit(self.current_row())
        self._keep_big_document_out_of_collections()

    def _keep_big_document_out_of_collections(self) -> None:
        """A big document's objects stay out of full garbage collections (memory.py), once the
        work its arrival set off is done: a full collection over them would stop a scroll."""
        if len(self.document) >= _BIG_DOCUMENT:
            QTimer.singleShot(0, self, memory.keep_out_of_collections)
            if not self._froze:
                self._froze = True
                self.destroyed.connect(memory.collect_frozen_again)

    def _on_model_row_changed(self, row: int) -> None:
        self._fit_rows([row])

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_row_changed.emit(current.row() if current.isValid() else -1)

    def _on_selection_changed(self, *_args) -> None:
        self._update_actions()

    def _on_loader_attached(self, row: int) -> None:
        self.select_rows([row])

    def _on_chip_remove_requested(self, row: int, part_index: int) -> None:
        self.editor.remove_attachment(row, part_index)

    def _on_chip_clicked(self, row: int, part_index: int) -> None:
        self.select_rows([row])
        self.attachment_activated.emit(row, part_index)

    # -- Qt overrides -------------------------------------------------------------------------

    def contextMenuEvent(self, event) -> None:
        menu = QMenu(self)
        for action in (self.add_row_action, self.insert_above_action, self.insert_below_action,
                       self.duplicate_action, self.delete_action):
            menu.addAction(action)
        roles = menu.addMenu("Set &Role")
        for action in self.role_actions.values():
            roles.addAction(action)
        menu.addSeparator()
        for action in (self.move_up_action, self.move_down_action, self.copy_action,
                       self.paste_action, self.attach_action):
            menu.addAction(action)
        if self.extra_menu_actions:  # what other parts of the window add (Regenerate…)
            menu.addSeparator()
            menu.addActions(self.extra_menu_actions)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_attachments_column()
        self._fit_visible_rows()

    def _fit_attachments_column(self) -> None:
        """In a narrow table the attachments column gives way (down to 80 pixels), so the
        content column keeps the larger share; until the user sizes it."""
        if self._attachments_sized:
            return
        spare = self.viewport().width() - self.columnWidth(ROLE_COLUMN)
        width = max(_ATTACHMENTS_LEAST, min(_ATTACHMENTS_WIDTH, spare * 2 // 5))
        if width != self.columnWidth(ATTACHMENTS_COLUMN):
            self._fitting_columns = True
            try:
                self.setColumnWidth(ATTACHMENTS_COLUMN, width)
            finally:
                self._fitting_columns = False
            self._measured.clear()  # an attachment's chips wrap at the column's width
            self._fit_timer.start()

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == ATTACHMENTS_COLUMN and not self._fitting_columns:
            self._attachments_sized = True

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.StyleChange:  # the style's images go with the style
            self._role_delegate.images.clear()

    def paintEvent(self, event) -> None:
        # Right to left, or with a header hidden, Qt draws its grid in places paint_grid does
        # not know; during a drag Qt draws the drop indicator after the grid (paint_grid
        # would draw over it): then Qt's own grid is drawn.
        ours = not (self.isRightToLeft() or self.verticalHeader().isHidden()
                    or self.horizontalHeader().isHidden()
                    or self.state() == QAbstractItemView.State.DraggingState)
        pen = Qt.PenStyle.NoPen if ours else Qt.PenStyle.SolidLine
        if self.gridStyle() != pen:
            self.setGridStyle(pen)
        images = self._role_delegate.images
        images.begin(self)
        try:
            super().paintEvent(event)
        finally:
            images.end()
        if ours and self.showGrid():
            paint_grid(self, event.region())

    def dragEnterEvent(self, event) -> None:
        if _is_file_drop(event.mimeData()):
            # OS file drops are copies; the Move default would make Qt refuse them.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if _is_file_drop(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if _is_file_drop(data):
            # Only the file checks happen here; reading runs on a worker after we return.
            index = self.indexAt(event.position().toPoint())
            paths = local_paths(data)
            self.loader.add_files(paths, index.row() if index.isValid() else None)
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        super().dropEvent(event)


def _is_file_drop(data) -> bool:
    return data is not None and not data.hasFormat(ROWS_MIME) and bool(local_paths(data))
