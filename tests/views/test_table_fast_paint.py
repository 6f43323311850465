"""What the message table draws more cheaply than Qt would must come out exactly as Qt draws it,
and follow every change at once: the grid (one-pixel rectangles instead of Qt's pen), the
role cells (copied from images the style drew once, views/table/cell_images.py) and the row
numbers (from options built without asking the model, views/table/row_numbers.py)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleFactory,
    QTableView,
)

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import Message
from composer.views.table.model import CONTENT_COLUMN, ROLE_COLUMN
from composer.views.table.row_numbers import RowNumbers
from composer.views.table.view import MessageTable
from composer.views.theme import dark_palette
from composer.views.undo import DocumentEditor
from tests.views.test_table_paint import _grab_column, _messages, _table


class _QtGrid(MessageTable):
    """The same table with the grid Qt draws itself, with its pen."""

    def paintEvent(self, event) -> None:  # noqa: N802
        QTableView.paintEvent(self, event)


def _pair(qtbot, messages: list[Message], width: int) -> tuple[MessageTable, MessageTable]:
    views = []
    for kind in (MessageTable, _QtGrid):
        view = kind(DocumentEditor(Document(Conversation(messages=messages)), QUndoStack()))
        qtbot.addWidget(view)
        view.resize(width, 500)
        view.show()
        qtbot.waitExposed(view)
        views.append(view)
    views[1].setGridStyle(Qt.PenStyle.SolidLine)
    return views[0], views[1]


def _viewport(view: MessageTable) -> QImage:
    return view.viewport().grab().toImage()


def test_the_grid_is_drawn_where_and_as_qt_draws_it(qtbot):
    many = [*_messages()] * 12
    for messages, width in ((many, 900), (_messages()[:3], 900), (many, 380)):
        ours, qts = _pair(qtbot, messages, width)
        for view in (ours, qts):
            view.select_rows([1, 2])
        for value in (0, 137, 10**6):  # the top, part way, the end (and empty space below)
            for view in (ours, qts):
                view.verticalScrollBar().setValue(value)
                view.horizontalScrollBar().setValue(value)  # narrow: the columns scroll too
            assert _viewport(ours) == _viewport(qts), (len(messages), width, value)
        gridless = _viewport(ours)
        ours.setShowGrid(False)
        assert _viewport(ours) != gridless  # there was a grid to compare
        ours.setShowGrid(True)
        # During a drag Qt draws its drop indicator after the grid: Qt's own grid then.
        ours.setState(QAbstractItemView.State.DraggingState)
        ours.viewport().grab()
        assert ours.gridStyle() == Qt.PenStyle.SolidLine
        assert _viewport(ours) == _viewport(qts)
        ours.setState(QAbstractItemView.State.NoState)
        ours.viewport().grab()
        assert ours.gridStyle() == Qt.PenStyle.NoPen


def _as_plain_delegate_paints(view: MessageTable) -> bool:
    ours = _grab_column(view, ROLE_COLUMN)
    delegate = view.itemDelegateForColumn(ROLE_COLUMN)
    view.setItemDelegateForColumn(ROLE_COLUMN, QStyledItemDelegate(view))
    plain = _grab_column(view, ROLE_COLUMN)
    view.setItemDelegateForColumn(ROLE_COLUMN, delegate)
    return ours == plain


def _red_text(palette: QPalette) -> QPalette:
    palette = QPalette(palette)
    palette.setColor(QPalette.ColorRole.Text, QColor("red"))
    return palette


def test_role_cells_drawn_from_kept_images_follow_every_change_at_once(qtbot):
    view = _table(qtbot, _messages())
    images = view._role_delegate.images
    assert _as_plain_delegate_paints(view)
    made = images.made
    assert made and len(images) == made
    view.viewport().grab()
    assert images.made == made  # painted again: every cell copied, none drawn
    changes = [
        lambda: view.select_rows([1, 2]),
        lambda: view.editor.set_role([4], "system"),
        lambda: view.mark_problem(3, "refused"),
        lambda: view.setColumnWidth(ROLE_COLUMN, 60),
        lambda: view.setPalette(_red_text(view.palette())),  # the same background
        lambda: view.setPalette(dark_palette()),
        lambda: view.setFont(QFont(view.font().family(), view.font().pointSize() + 3)),
        view.clear_problems,
        lambda: view.setAlternatingRowColors(False),
        lambda: view.setStyle(styles[0]),
        lambda: view.setStyle(styles[1]),
    ]
    styles = [QStyleFactory.create("Windows"), QStyleFactory.create("Fusion")]  # kept alive
    for change in changes:
        change()
        assert _as_plain_delegate_paints(view)
    assert images.made > made
    view.setStyle(None)  # the application's again, before these styles go


class _QtNumbers(RowNumbers):
    """The same header, painted by Qt from the model's header data."""

    painted = 0

    def paintEvent(self, event) -> None:  # noqa: N802
        _QtNumbers.painted += 1
        QHeaderView.paintEvent(self, event)


def _numbers_as_qt_paints_them(header: QHeaderView) -> bool:
    ours = header.viewport().grab().toImage()
    header.__class__ = _QtNumbers  # the same widget, rows and sizes, painted by Qt
    qts = header.viewport().grab().toImage()
    header.__class__ = RowNumbers
    return ours == qts


def test_row_numbers_look_as_qt_paints_them_from_the_models_header_data(qtbot):
    painted = _QtNumbers.painted
    for messages in ([*_messages()] * 12, _messages()[:3], _messages()[:1]):
        view = _table(qtbot, messages)
        last = len(messages) - 1
        model = view.model()
        changes = {
            "nothing selected": lambda: None,
            "a row": lambda view=view, last=last: view.select_rows([min(2, last)]),
            "rows, some next to each other": lambda view=view, last=last: view.select_rows(
                [r for r in (0, 1, 2, 5) if r <= last]),
            "one cell of a row": lambda view=view, last=last, model=model:
                view.selectionModel().select(model.index(min(4, last), CONTENT_COLUMN),
                                             QItemSelectionModel.SelectionFlag.ClearAndSelect),
            "part way": lambda view=view: view.verticalScrollBar().setValue(137),
            "the end, and the space below": lambda view=view:
                view.verticalScrollBar().setValue(10**6),
        }
        for what, change in changes.items():
            change()
            assert _numbers_as_qt_paints_them(view.verticalHeader()), (len(messages), what)
    assert _QtNumbers.painted > painted
