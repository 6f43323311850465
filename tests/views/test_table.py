"""The message table: model contract, editing actions, undo, drag-and-drop reorder, clipboard."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QDropEvent,
    QGuiApplication,
    QUndoStack,
)
from PySide6.QtWidgets import QComboBox, QMessageBox, QPlainTextEdit

from composer.models.attachment import Attachment
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
from composer.views import dialogs
from composer.views.table import preview
from composer.views.table.delegates import chip_layout
from composer.views.table.model import (
    ATTACHMENTS_COLUMN,
    CONTENT_COLUMN,
    ROLE_COLUMN,
    MessageRole,
    MessageTableModel,
    ProblemRole,
)
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor
from tests.views.dnd import send_drag


def sample() -> Conversation:
    return Conversation(messages=[
        Message.text("system", "Be brief."),
        Message.text("user", "What is the weather in Paris?"),
        Message(role="assistant", parts=[
            ReasoningPart(text="need a tool", provider_metadata={"anthropic": {"signature": "s"}}),
            ToolCallPart(name="get_weather", arguments={"city": "Paris"}, tool_call_id="c1"),
        ]),
        Message(role="tool", parts=[ToolResultPart(name="get_weather", output="18C",
                                                   tool_call_id="c1")]),
        Message.text("assistant", "It is 18C."),
    ])


@pytest.fixture
def table(qtbot):
    document = Document(sample())
    editor = DocumentEditor(document, QUndoStack())
    view = MessageTable(editor)
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    yield view
    for box in dialogs.open_boxes(view):
        box.close()


def texts(view: MessageTable) -> list[str]:
    return [m.plain_text for m in view.document.messages]


def roles(view: MessageTable) -> list[str]:
    return [m.role for m in view.document.messages]


def press(qtbot, view, key, modifier=Qt.KeyboardModifier.NoModifier):
    view.setFocus()
    qtbot.keyClick(view, key, modifier)


def test_model_passes_qt_model_tester_through_edits(qtmodeltester, table):
    model = table.model()
    qtmodeltester.check(model, force_py=True)
    editor = table.editor
    editor.insert_messages(1, [Message.text("user", "a"), Message.text("user", "b")])
    editor.remove_rows([0, 3, 5])
    editor.move_rows([0, 2], 4)
    editor.set_role([1], "tool")
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    editor.undo_stack.redo()
    editor.replace_all(Conversation(messages=[Message.text("user", "fresh")]))
    qtmodeltester.check(model, force_py=True)
    assert texts(table) == ["fresh"] and editor.undo_stack.count() == 0


def test_display_is_a_capped_preview_and_edit_role_the_full_text(table):
    long_text = "x" * 5000 + "\n" + "line\n" * 50
    table.editor.set_text(1, long_text)
    model = table.model()
    shown = model.index(1, CONTENT_COLUMN).data(Qt.ItemDataRole.DisplayRole)
    assert len(shown) < preview.MAX_CHARS + 40 and "chars)" in shown
    assert model.index(1, CONTENT_COLUMN).data(Qt.ItemDataRole.EditRole) == long_text
    assert model.index(1, ROLE_COLUMN).data(MessageRole).plain_text == long_text
    summary = model.index(2, CONTENT_COLUMN).data()
    assert "Reasoning: need a tool" in summary and 'get_weather({"city": "Paris"})' in summary
    assert "← get_weather [c1]: 18C" in model.index(3, CONTENT_COLUMN).data()


def test_keyboard_actions_duplicate_move_delete_and_undo_one_step_each(qtbot, table):
    stack = table.editor.undo_stack
    table.select_rows([1])
    press(qtbot, table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert texts(table)[1:3] == ["What is the weather in Paris?"] * 2
    assert table.selected_rows() == [2]
    press(qtbot, table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    press(qtbot, table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert texts(table)[0] == "What is the weather in Paris?" and table.selected_rows() == [0]
    press(qtbot, table, Qt.Key.Key_Delete)
    assert len(table.document) == 5 and texts(table)[0] == "Be brief."
    assert stack.count() == 4
    undo = stack.createUndoAction(table)
    for _ in range(4):
        undo.trigger()
    assert texts(table) == [m.plain_text for m in sample().messages]


def test_bulk_role_change_is_one_undo_step(qtbot, table):
    table.select_rows([1, 4])
    press(qtbot, table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # system
    assert roles(table) == ["system", "system", "assistant", "tool", "system"]
    table.editor.undo_stack.undo()
    assert roles(table) == ["system", "user", "assistant", "tool", "assistant"]


def test_insert_above_and_below_pick_the_following_role(table):
    table.select_rows([1])
    table.insert_below_action.trigger()
    assert roles(table)[2] == "assistant" and table.selected_rows() == [2]
    table.select_rows([0])
    table.insert_above_action.trigger()
    assert roles(table)[0] == "user" and texts(table)[0] == ""
    table.add_row_action.trigger()
    assert len(table.document) == 8 and table.selected_rows() == [7]


def test_move_actions_are_disabled_at_the_ends(table):
    table.select_rows([0])
    assert not table.move_up_action.isEnabled() and table.move_down_action.isEnabled()
    table.select_rows([4])
    assert table.move_up_action.isEnabled() and not table.move_down_action.isEnabled()
    table.selectionModel().clearSelection()
    assert not table.delete_action.isEnabled()


def test_content_cell_editor_newline_on_return_commits_on_ctrl_return(qtbot, table):
    index = table.model().index(1, CONTENT_COLUMN)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.findChild(QPlainTextEdit)
    assert editor is not None and editor.toPlainText() == "What is the weather in Paris?"
    editor.selectAll()
    qtbot.keyClicks(editor, "one")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "two")
    assert texts(table)[1] == "What is the weather in Paris?"  # not committed yet
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert texts(table)[1] == "one\ntwo"
    table.editor.undo_stack.undo()
    assert texts(table)[1] == "What is the weather in Paris?"


def test_role_cell_combo_sets_the_role(qtbot, table):
    index = table.model().index(1, ROLE_COLUMN)
    table.setCurrentIndex(index)
    table.edit(index)
    combo = table.findChild(QComboBox)
    assert combo is not None and combo.currentText() == "user"
    combo.setCurrentText("assistant")
    combo.activated.emit(combo.currentIndex())
    assert roles(table)[1] == "assistant"


def drop(view: MessageTable, mime: QMimeData, row: int | None, below: bool = False,
         action=Qt.DropAction.MoveAction) -> QDropEvent:
    """A drag's enter, move and drop events, as a real drag delivers them to the viewport."""
    if row is None:
        pos = QPointF(30, view.viewport().height() - 5)
    else:
        rect = view.visualRect(view.model().index(row, CONTENT_COLUMN))
        pos = QPointF(rect.center().x(), rect.bottom() - 1 if below else rect.top() + 1)
    return send_drag(view.viewport(), pos, mime, action)[1]


def test_dragging_rows_reorders_them_as_one_undo_step(qtbot, table):
    model = table.model()
    first_ids = table.document.ids
    mime = model.mimeData([model.index(0, 0), model.index(1, 0)])
    drop(table, mime, 4, below=True)
    assert texts(table)[-2:] == ["Be brief.", "What is the weather in Paris?"]
    assert len(table.document) == 5, "Qt must not remove the source rows a second time"
    assert table.editor.undo_stack.count() == 1
    table.editor.undo_stack.undo()
    assert table.document.ids == first_ids


def test_rows_dragged_from_another_document_are_refused(table):
    other = MessageTableModel(DocumentEditor(Document(sample()), QUndoStack()))
    mime = other.mimeData([other.index(0, 0)])
    assert not table.model().canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1,
                                             table.model().index(2, 0))
    other.detach()


def test_copy_and_paste_rows_round_trip_with_metadata(table):
    table.select_rows([2, 3])
    table.copy_action.trigger()
    text = QGuiApplication.clipboard().text()
    assert json.loads(text)["messages"][0]["parts"][0]["provider_metadata"] == {
        "anthropic": {"signature": "s"}}
    table.select_rows([4])
    table.paste_action.trigger()
    assert len(table.document) == 7
    assert table.document.messages[5:] == table.document.messages[2:4]
    assert table.selected_rows() == [5, 6]


def test_pasting_an_openai_messages_array_imports_it(table):
    QGuiApplication.clipboard().setText(json.dumps([
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi there"},
    ]))
    table.selectionModel().clearSelection()
    table.paste_action.trigger()
    if dialogs.open_boxes(table):
        pytest.fail(dialogs.open_boxes(table)[0].text())
    assert texts(table)[-2:] == ["hello", "hi there"]
    assert roles(table)[-2:] == ["user", "assistant"]


def test_pasting_plain_text_adds_a_user_row_and_broken_json_only_a_message(qtbot, table):
    QGuiApplication.clipboard().setText("just some words")
    table.selectionModel().clearSelection()
    table.paste_action.trigger()
    assert texts(table)[-1] == "just some words" and roles(table)[-1] == "user"
    QGuiApplication.clipboard().setText('[{"role": "user", "content": ')
    with qtbot.waitSignal(table.problem_shown) as shown:
        table.paste_action.trigger()
    assert "<clipboard>" in shown.args[0] and "invalid JSON" in shown.args[0]
    assert len(table.document) == 6
    boxes = dialogs.open_boxes(table)
    assert boxes and boxes[0].icon() == QMessageBox.Icon.Warning


def test_chip_close_button_removes_the_attachment_undoably(qtbot, table):
    att = Attachment.from_bytes(b"hello", name="note.txt", mime="text/plain")
    table.editor.add_attachments(1, [att])
    index = table.model().index(1, ATTACHMENTS_COLUMN)
    assert "note.txt (5 B)" in index.data()
    option = table.viewOptions() if hasattr(table, "viewOptions") else None
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    rect = table.visualRect(index)
    option.rect = rect
    chips = chip_layout(index.data(MessageRole), rect, option)
    assert len(chips) == 1
    with qtbot.waitSignal(table.attachment_activated) as clicked:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                         pos=chips[0].rect.topLeft() + QPoint(8, 4))
    assert clicked.args == [1, 1]
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=chips[0].close_rect.center())
    assert table.document.message(1).attachments == []
    table.editor.undo_stack.undo()
    assert table.document.message(1).attachments == [att]


def test_problem_marks_follow_their_row_and_clear(table):
    table.mark_problem(1, "refused: image input not supported")
    model = table.model()
    assert model.index(1, CONTENT_COLUMN).data(ProblemRole).startswith("refused")
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole).startswith("refused")
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    table.editor.move_rows([1], 5)
    assert model.index(4, 0).data(ProblemRole) is not None
    assert model.index(1, 0).data(ProblemRole) is None
    table.clear_problems()
    assert all(model.index(r, 0).data(ProblemRole) is None for r in range(5))


def test_typing_runs_merge_into_one_undo_step(table):
    stack = table.editor.undo_stack
    for text in ("H", "He", "Hel", "Hell", "Hello"):
        table.editor.set_text(1, text)
    assert stack.count() == 1
    stack.undo()
    assert texts(table)[1] == "What is the weather in Paris?"
    stack.redo()
    assert texts(table)[1] == "Hello"


def test_rows_with_attachments_and_text_stay_intact_through_undo(table):
    msg = Message(role="user", parts=[TextPart(text="see"), AttachmentPart(
        attachment=Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 30, name="p.png"))])
    table.editor.insert_messages(0, [msg])
    table.editor.remove_rows([0])
    table.editor.undo_stack.undo()
    assert table.document.message(0) == msg



_VOID_CALLS = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for _ in range(30000):
    label.setMinimumWidth(3)
    label.isVisible()
print("alive")
"""


def test_void_qt_calls_do_not_exhaust_none_or_bools():
    """PySide6 6.12.0 (abi3) on CPython 3.11 drops a reference to None per void call and to a
    bool per bool call, and the interpreter aborts after a few thousand: pyproject pins it out.
    This fails if a PySide6 with that bug is ever installed again."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _VOID_CALLS],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "alive" in result.stdout, result.stderr[-500:]


def test_row_heights_are_never_measured_for_every_row(table):
    from PySide6.QtWidgets import QHeaderView

    header = table.verticalHeader()
    assert header.sectionResizeMode(0) != QHeaderView.ResizeMode.ResizeToContents
    table.editor.set_text(4, "\n".join(f"line {i}" for i in range(40)))
    # The changed row grows to the capped preview, not to forty lines.
    line = table.fontMetrics().lineSpacing()
    assert 3 * line < table.rowHeight(4) < (preview.MAX_LINES + 2) * line


def test_a_big_scattered_move_keeps_the_selection_on_the_moved_rows(qtmodeltester, table):
    editor = table.editor
    editor.insert_messages(5, [Message.text("user", f"m{i}") for i in range(30)])
    qtmodeltester.check(table.model(), force_py=True)
    picked = list(range(0, 35, 3))  # 12 scattered rows: one reorder, not twelve moves
    moved_texts = [texts(table)[r] for r in picked]
    table.select_rows(picked)
    table.move_down_action.trigger()
    assert texts(table)[-len(picked):] == moved_texts
    assert table.selected_rows() == list(range(35 - len(picked), 35))
    before = list(table.document.ids)
    editor.undo_stack.undo()
    assert [texts(table)[r] for r in picked] == moved_texts
    editor.undo_stack.redo()
    assert list(table.document.ids) == before
    qtmodeltester.check(table.model(), force_py=True)


def test_what_a_paste_left_out_is_said_in_a_notice(qtbot, table):
    lines = [json.dumps({"conversations": [{"from": "human", "value": v}]}) for v in "ab"]
    QGuiApplication.clipboard().setText("\n".join(lines))
    table.selectionModel().clearSelection()
    with qtbot.waitSignal(table.notice) as notice:
        table.paste_action.trigger()
    assert texts(table)[-1] == "a"
    assert (notice.args[0].startswith("Pasted with notes:")
            and "1 other(s) skipped" in notice.args[0])


def test_row_numbers_are_sized_by_the_row_count_not_by_asking_every_row(table):
    header = table.verticalHeader()
    narrow = header.sizeHint().width()
    table.editor.insert_messages(0, [Message.text("user", str(i)) for i in range(120)])
    assert header.sizeHint().width() > narrow  # three digits now
    assert header.sizeHint().width() >= header.fontMetrics().horizontalAdvance("126")
