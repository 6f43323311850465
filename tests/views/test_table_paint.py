"""The message table paints and measures each row from what the row shows, gathered once
(views/table/looks.py), instead of asking the model through Qt for every cell at every paint:
the rows must come out exactly as Qt's own measuring and the plain delegate would make them,
and what is kept must follow every change."""

from __future__ import annotations

import gc

from PySide6.QtCore import QRect
from PySide6.QtGui import QFont, QImage, QUndoStack
from PySide6.QtWidgets import QStyledItemDelegate

from composer.models.attachment import Attachment
from composer.models.caching import with_breakpoint
from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.tree import Tree
from composer.views.table.model import ATTACHMENTS_COLUMN, ROLE_COLUMN
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor

LONG = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12


def _messages() -> list[Message]:
    png = Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000,
                                name="a-picture-with-a-rather-long-name.png")
    pdf = Attachment.from_bytes(b"%PDF-1.4\n" + b"x" * 90_000, name="report.pdf")
    tagged = with_breakpoint(TextPart(text="Be **brief**."), "1h")
    return [
        Message(role="system", parts=[tagged]),
        Message.text("user", "What is the weather?\n1. today\n2. tomorrow\n3. later\n4. more"),
        Message(role="assistant", parts=[ReasoningPart(text="need a tool " * 30),
                                         ToolCallPart(name="w", arguments={"c": 1},
                                                      tool_call_id="c1")]),
        Message(role="tool", parts=[ToolResultPart(name="w", output="18C " * 80,
                                                   tool_call_id="c1")]),
        Message(role="user", parts=[TextPart(text="see"), AttachmentPart(attachment=png),
                                    AttachmentPart(attachment=pdf)]),
        Message.text("assistant", "Variant B: " + LONG),
        Message.text("user", ""),
        Message.text("assistant", f"Answer 12: {LONG}\n\n{LONG}"),
    ]


def _table(qtbot, messages: list[Message], *, variants_at: int | None = None) -> MessageTable:
    conversation = Conversation(messages=messages)
    if variants_at is not None:
        tree = Tree.linear(messages)
        parent = tree.parent_at(variants_at)
        tree, _ = tree.add_variant(parent, [Message.text("assistant", "Variant A")])
        tree = tree.choose(variants_at, 0)
        conversation = Conversation(messages=tree.messages())
        conversation.set_tree(tree)
    view = MessageTable(DocumentEditor(Document(conversation), QUndoStack()))
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def _as_qt_measures(view: MessageTable, rows) -> list[tuple[int, int, int]]:
    """(row, its height, what Qt's resizeRowToContents makes it) where they differ."""
    differ = []
    for row in rows:
        height = view.rowHeight(row)
        view.resizeRowToContents(row)
        if view.rowHeight(row) != height:
            differ.append((row, height, view.rowHeight(row)))
    return differ


def test_rows_are_as_tall_as_qt_measures_them(qtbot):
    view = _table(qtbot, _messages(), variants_at=5)
    assert view.model().look(5).variant == (0, 2)  # a file opened with variants shows them
    assert _as_qt_measures(view, range(len(view.document))) == []
    # Chips that wrap in a narrow column, and another font, measured again.
    view.setColumnWidth(ATTACHMENTS_COLUMN, 150)
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() + 3)
    view.setFont(font)
    view._measured.clear()
    view._fit_rows(range(len(view.document)))
    assert _as_qt_measures(view, range(len(view.document))) == []


def test_rows_that_come_on_screen_after_a_scroll_are_measured(qtbot):
    """Rows measured shorter than the default let more rows onto the screen: those are
    measured at once too, not painted at the default height until shown again."""
    view = _table(qtbot, [Message.text("user", f"row {i}") for i in range(400)])
    bar = view.verticalScrollBar()
    for value in range(0, bar.maximum(), view.viewport().height()):
        bar.setValue(value)
        first = view.rowAt(0)
        last = view.rowAt(view.viewport().height() - 1)
        last = len(view.document) - 1 if last < 0 else last
        assert _as_qt_measures(view, range(first, last + 1)) == []


def _grab_column(view: MessageTable, column: int) -> QImage:
    rect = QRect(view.columnViewportPosition(column), 0, view.columnWidth(column),
                 view.viewport().height())
    return view.viewport().grab(rect).toImage()


def test_the_role_cell_is_painted_as_the_plain_delegate_would_paint_it(qtbot):
    """The role delegate builds the cell's style option from the row's look instead of
    initStyleOption's model reads: the cache tag's icon, the role, a problem's background and
    the selection must come out pixel for pixel the same."""
    view = _table(qtbot, _messages())
    view.mark_problem(3, "refused")
    view.select_rows([1, 2])
    ours = _grab_column(view, ROLE_COLUMN)
    plain = QStyledItemDelegate(view)
    view.setItemDelegateForColumn(ROLE_COLUMN, plain)
    assert _grab_column(view, ROLE_COLUMN) == ours


def test_what_a_row_shows_follows_every_change(qtbot):
    view = _table(qtbot, _messages(), variants_at=5)
    model = view.model()
    view.viewport().grab()  # every look made
    first = model.look(1)
    assert model.look(1) is first  # kept
    view.editor.set_text(1, "Changed *text*")
    assert model.look(1).preview == "Changed text"
    view.mark_problem(2, "refused")
    assert model.look(2).problem
    view.clear_problems()
    assert not model.look(2).problem
    view.set_tokens({view.document.row_id(0): ("≈ 5 tok", "5 tokens")})
    assert model.look(0).figure == "≈ 5 tok" and model.look(1).figure is None
    view.editor.move_rows([5], 0)  # off its place in the tree: no variants any more
    assert model.look(0).variant is None
    view.editor.undo_stack.undo()
    assert model.look(5).variant == (0, 2)


def test_a_big_document_is_kept_out_of_full_collections_while_shown(qtbot):
    """A full collection would walk every message object of a big document in the middle of
    a scroll: they are frozen out of it while the table shows them, and given back when the
    table goes (a cycle through its model may be all that holds the document)."""
    gc.unfreeze()
    messages = [Message.text("user", f"row {i}") for i in range(1000)]
    view = MessageTable(DocumentEditor(Document(Conversation(messages=messages)), QUndoStack()))
    view.show()
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0)
    view.deleteLater()
    qtbot.waitUntil(lambda: gc.get_freeze_count() == 0)
