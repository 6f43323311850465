"""The table's columns in a narrow window: seen at 1024 pixels with the branches panel open, the
content column was 25 pixels wide beside an attachments column of 220. The attachments column
gives way in a narrow table, keeps its 220 where there is room, and a width the user gives it
stays."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import Message
from composer.views.table.model import ATTACHMENTS_COLUMN, CONTENT_COLUMN
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor


def _table(qtbot, width: int) -> MessageTable:
    document = Document(Conversation(messages=[Message.text("user", "Hello there")]))
    view = MessageTable(DocumentEditor(document, QUndoStack()))
    qtbot.addWidget(view)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_narrow_table_gives_the_content_the_larger_share(qtbot):
    view = _table(qtbot, 360)
    content, attachments = view.columnWidth(CONTENT_COLUMN), view.columnWidth(ATTACHMENTS_COLUMN)
    assert content > attachments >= 80
    view.resize(900, 300)  # room again: the attachments column has its full width
    qtbot.waitUntil(lambda: view.columnWidth(ATTACHMENTS_COLUMN) == 220)
    assert view.columnWidth(CONTENT_COLUMN) > 220


def test_a_width_the_user_gives_the_attachments_column_stays(qtbot):
    view = _table(qtbot, 900)
    view.horizontalHeader().resizeSection(ATTACHMENTS_COLUMN, 300)
    view.resize(500, 300)
    qtbot.waitUntil(lambda: view.viewport().width() < 500)
    assert view.columnWidth(ATTACHMENTS_COLUMN) == 300
