"""The viewports made from Python (qt_start.own_viewport) are set up as the ones Qt makes."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.views.table.row_numbers import RowNumbers
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor

_ATTRIBUTES = (Qt.WidgetAttribute.WA_AcceptTouchEvents, Qt.WidgetAttribute.WA_MouseTracking,
               Qt.WidgetAttribute.WA_OpaquePaintEvent, Qt.WidgetAttribute.WA_NoSystemBackground,
               Qt.WidgetAttribute.WA_Hover, Qt.WidgetAttribute.WA_StaticContents)


def _setup(widget: QWidget) -> dict:
    """What decides how a viewport looks and takes input, besides its size and place."""
    return {"role": widget.backgroundRole(), "filled": widget.autoFillBackground(),
            "tracking": widget.hasMouseTracking(), "focus": widget.focusPolicy(),
            "attributes": [widget.testAttribute(a) for a in _ATTRIBUTES]}


def test_the_tables_viewport_is_set_up_as_a_plain_table_views(qtbot):
    """Filled with the palette's Base (the empty space under the last row too), taking touch."""
    table = MessageTable(DocumentEditor(Document(Conversation()), QUndoStack()))
    plain = QTableView()
    for view in (table, plain):
        qtbot.addWidget(view)
    assert _setup(table.viewport()) == _setup(plain.viewport())


def test_the_row_numbers_viewport_is_set_up_as_a_plain_headers(qtbot):
    """Filled with the palette's Button, following the mouse (a section's hover)."""
    numbers, plain = RowNumbers(), QHeaderView(Qt.Orientation.Vertical)
    for view in (numbers, plain):
        qtbot.addWidget(view)
    assert _setup(numbers.viewport()) == _setup(plain.viewport())
