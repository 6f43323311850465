"""The part detail editor: typed part sections, undoable edits, JSON checks, previews."""

from __future__ import annotations

import base64

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

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
from composer.views.detail import previews
from composer.views.detail.editor import (
    AttachmentSection,
    PartDetailEditor,
    ReasoningSection,
    TextSection,
    ToolCallSection,
    ToolResultSection,
)
from composer.views.undo import DocumentEditor
from tests.views.conftest import make_pdf, make_png


def conversation() -> Conversation:
    return Conversation(messages=[
        Message.text("user", "Weather in Paris?"),
        Message(role="assistant", parts=[
            ReasoningPart(text="", redacted=True,
                          provider_metadata={"anthropic": {"data": "opaque=="}}),
            ToolCallPart(name="get_weather", arguments={"city": "Paris"}, tool_call_id="c1"),
        ]),
        Message(role="tool", parts=[ToolResultPart(name="get_weather", output="18C",
                                                   tool_call_id="c1")]),
    ])


@pytest.fixture
def detail(qtbot):
    editor = DocumentEditor(Document(conversation()), QUndoStack())
    widget = PartDetailEditor(editor)
    qtbot.addWidget(widget)
    widget.resize(500, 600)
    widget.show()
    return widget


def test_typing_in_a_text_part_is_one_undo_step_and_undo_updates_the_field(qtbot, detail):
    detail.show_row(0)
    (section,) = detail.sections
    assert isinstance(section, TextSection)
    section.edit.moveCursor(section.edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(section.edit, " Tomorrow?")
    doc = detail.document
    assert doc.message(0).plain_text == "Weather in Paris? Tomorrow?"
    stack = detail.editor.undo_stack
    assert stack.count() == 1
    stack.undo()
    assert doc.message(0).plain_text == "Weather in Paris?"
    assert detail.sections[0] is section, "undo updates the field in place"
    assert section.edit.toPlainText() == "Weather in Paris?"
    assert stack.count() == 1 and stack.index() == 0, "updating the field made no new edit"


def test_reasoning_is_read_only_with_redacted_flag_and_metadata(detail):
    detail.show_row(1)
    reasoning = detail.sections[0]
    assert isinstance(reasoning, ReasoningSection)
    assert reasoning.redacted.isChecked() and not reasoning.redacted.isEnabled()
    assert reasoning.text.isReadOnly() and "opaque==" in reasoning.metadata.toPlainText()


def test_tool_call_arguments_are_validated_as_you_type(qtbot, detail):
    detail.show_row(1)
    call = detail.sections[1]
    assert isinstance(call, ToolCallSection)
    call.arguments.selectAll()
    qtbot.keyClicks(call.arguments, '{"city": "Lyon"')
    assert call.arguments_error is not None and "line 1 column" in call.arguments_error
    part = detail.document.message(1).parts[1]
    assert part.arguments == {"city": "Paris"}, "invalid JSON never reaches the message"
    qtbot.keyClicks(call.arguments, "}")
    assert call.arguments_error is None
    assert detail.document.message(1).parts[1].arguments == {"city": "Lyon"}
    call.arguments.setPlainText("[1, 2]")
    assert "JSON object" in call.arguments_error
    call.name.setText("get_forecast")
    assert detail.document.message(1).parts[1].name == "get_forecast"
    assert detail.document.message(1).parts[1].provider_metadata is None


def test_tool_result_shows_the_call_it_answers(detail):
    detail.show_row(2)
    result = detail.sections[0]
    assert isinstance(result, ToolResultSection)
    assert "answers get_weather (c1)" in result.link.text()
    result.call_id.setEditText("zz")
    assert detail.document.message(2).parts[0].tool_call_id == "zz"
    assert "no earlier tool call has id zz" in result.link.text()
    result.output.setPlainText("19C")
    assert detail.document.message(2).parts[0].output == "19C"


def test_remove_part_button_is_undoable(qtbot, detail):
    detail.show_row(1)
    qtbot.mouseClick(detail.sections[0].remove_button, Qt.MouseButton.LeftButton)
    assert [p.type for p in detail.document.message(1).parts] == ["tool_call"]
    assert [type(s) for s in detail.sections] == [ToolCallSection]
    detail.editor.undo_stack.undo()
    assert [type(s) for s in detail.sections] == [ReasoningSection, ToolCallSection]


def test_add_part_menu_adds_a_result_for_the_open_call(detail):
    detail.editor.remove_rows([2])
    detail.show_row(1)
    detail.add_tool_result_action.trigger()
    added = detail.document.message(1).parts[-1]
    assert isinstance(added, ToolResultPart) and added.tool_call_id == "c1"
    detail.add_text_action.trigger()
    assert isinstance(detail.document.message(1).parts[-1], TextPart)
    assert isinstance(detail.sections[-1], TextSection)


def test_shown_row_follows_moves_and_clears_on_delete(detail):
    detail.show_row(2)
    detail.editor.move_rows([2], 0)
    assert detail.row == 0 and detail.sections[0].part.output == "18C"
    assert detail.title.text().startswith("Row 1 · tool")
    detail.editor.remove_rows([0])
    assert detail.row == -1 and detail.sections == []
    assert detail.title.text() == "No row selected"


def test_edits_from_elsewhere_update_the_fields(detail):
    detail.show_row(0)
    section = detail.sections[0]
    detail.editor.set_text(0, "changed in the table")
    assert section.edit.toPlainText() == "changed in the table"


def test_attachment_previews_image_text_pdf_and_audio(qtbot, tmp_path, detail):
    png = make_png(tmp_path / "pic.png", size=64)
    pdf = make_pdf(tmp_path / "doc.pdf")
    audio = Attachment(type="audio/wav", content=base64.b64encode(b"RIFF" + b"0" * 96).decode())
    atts = [Attachment.from_path(png), Attachment.from_bytes(b"hello\nworld", name="n.txt",
                                                             mime="text/plain"),
            Attachment.from_path(pdf), audio,
            Attachment(type="image/png", content="!!!not base64")]
    detail.editor.insert_messages(0, [Message(role="user", parts=[
        AttachmentPart(attachment=a) for a in atts])])
    detail.show_row(0)
    sections = detail.sections
    assert all(isinstance(s, AttachmentSection) for s in sections)
    assert sections[0].preview.kind == "loading", "pictures are decoded off the GUI thread"
    qtbot.waitUntil(lambda: all(s.preview.kind != "loading" for s in sections), timeout=5000)
    kinds = [s.preview.kind for s in sections]
    assert kinds[0] == "image" and sections[0].preview.image_size.width() <= 320
    assert kinds[1] == "text" and "world" in sections[1].preview.excerpt.toPlainText()
    assert kinds[2] == ("pdf" if previews.QPdfDocument is not None else "info")
    assert "pdf" in sections[2].preview.info.text()
    assert kinds[3] == "info" and "audio/wav · 100 B" in sections[3].preview.info.text()
    assert kinds[4] in ("info", "error")  # undecodable bytes: no thumbnail, no exception


def test_text_excerpt_decodes_only_the_head_of_a_big_attachment(detail):
    big = Attachment.from_bytes(b"first line\n" + b"x" * 5_000_000, name="big.log",
                                mime="text/plain")
    excerpt = previews.text_excerpt(big)
    assert excerpt.startswith("first line") and excerpt.endswith("…")
    assert len(excerpt) == previews.TEXT_EXCERPT_CHARS + 1
    assert previews.head_bytes(big, 5) == b"first"


def test_a_linked_attachment_is_not_read_for_its_preview(tmp_path, detail, qtbot):
    """A path with no content is "linked, not loaded": the preview offers to load it and
    reads nothing (a missing file's reason shows when it is loaded: test_linked_window)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("never shown")
    att = Attachment(type="text/plain", path=str(secret))
    detail.editor.insert_messages(0, [Message(role="user", parts=[AttachmentPart(
        attachment=att)])])
    detail.show_row(0)
    preview = detail.sections[0].preview
    assert preview.kind == "linked" and "linked, not loaded" in preview.info.text()
    assert not hasattr(preview, "excerpt")
    with qtbot.waitSignal(detail.link_load_requested) as asked:
        preview.load_button.click()
    assert asked.args == [att] and att.linked


def test_a_result_for_a_call_without_an_id_is_paired_by_name(qtbot):
    conv = Conversation(messages=[
        Message.text("user", "weather?"),
        Message(role="assistant", parts=[ToolCallPart(name="get_weather", arguments={})]),
        Message(role="tool", parts=[ToolResultPart(name="get_weather", output="")]),
    ])
    widget = PartDetailEditor(DocumentEditor(Document(conv), QUndoStack()))
    qtbot.addWidget(widget)
    widget.show_row(2)
    result = widget.sections[0]
    assert "answers get_weather (the call has no id: paired by name)" in result.link.text()
    assert result.call_id.count() == 0  # no empty "id" to pick
    result.name.setText("get_time")
    assert result.link.text() == "Not linked to a call"
