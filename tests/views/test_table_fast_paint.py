"""What the message table draws more cheaply than Qt would must come out exactly as Qt draws it,
and follow every change at once: the grid (one-pixel rectangles instead of Qt's pen) and the
role cells (copied from images the style drew once, views/table/cell_images.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette, QUndoStack
from PySide6.QtWidgets import QStyledItemDelegate, QTableView

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import Message
from composer.views.table.model import ROLE_COLUMN
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
    ]
    for change in changes:
        change()
        assert _as_plain_delegate_paints(view)
    assert images.made > made
