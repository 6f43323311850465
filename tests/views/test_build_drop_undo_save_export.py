"""The whole editing path in the window: build a six-turn conversation with a system prompt in
the window, drop an image and a PDF onto rows (real drop events on the table's viewport),
reorder, undo every step, redo them, save, reopen, and export an OpenAI Chat Completions request
body."""

from __future__ import annotations

import base64
import json

from PySide6.QtCore import QMimeData, QPointF, QUrl

from composer.models.conversation import Conversation
from tests.views.conftest import make_pdf, make_png
from tests.views.dnd import send_drag

TURNS = [
    ("user", "Describe the picture I am attaching."),
    ("assistant", "It is a small blue square."),
    ("user", "Summarise the attached PDF."),
    ("assistant", "It is one page that says 'Composer test page'."),
    ("user", "Which came first?"),
    ("assistant", "The picture."),
]


def _drop_file(qtbot, window, path, row):
    table = window.table
    rect = table.visualRect(table.model().index(row, 1))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(table.loader.attached, timeout=5000) as blocker:
        send_drag(table.viewport(), QPointF(rect.center()), mime)
    assert blocker.args == [row]


def _state(window):
    return [m.to_dict() for m in window.document.messages]


def test_build_drop_reorder_undo_redo_save_reopen_export(qtbot, make_window, tmp_path):
    window = make_window(Conversation())
    window.resize(1200, 800)
    qtbot.waitExposed(window)
    table = window.table
    start = _state(window)

    # System prompt, then six turns, each through the table's own action.
    table.add_row_action.trigger()
    window.editor.set_role([0], "system")
    window.editor.set_text(0, "You are terse.", merge=False)
    for role, text in TURNS:
        table.add_row_action.trigger()
        row = len(window.document) - 1
        window.editor.set_role([row], role)
        window.editor.set_text(row, text, merge=False)
    assert [m.role for m in window.document.messages] == ["system"] + [r for r, _ in TURNS]

    png = make_png(tmp_path / "square.png")
    pdf = make_pdf(tmp_path / "page.pdf")
    _drop_file(qtbot, window, png, 1)
    _drop_file(qtbot, window, pdf, 3)
    assert window.document.messages[1].attachments[0].mime == "image/png"
    assert window.document.messages[3].attachments[0].mime == "application/pdf"

    # Reorder: the last exchange moves up above the PDF question.
    table.select_rows([5, 6])
    table.move_up_action.trigger()
    table.move_up_action.trigger()
    final = _state(window)
    assert [m["parts"][0]["text"] for m in final[3:5]] == ["Which came first?", "The picture."]
    assert window.isWindowModified()

    steps = 0
    while window.undo_stack.canUndo():
        window.commands.undo_action.trigger()
        steps += 1
    assert steps >= 17  # 7 rows x (add, role, text) minus no-op roles, 2 drops, 2 moves
    assert _state(window) == start
    assert not window.isWindowModified()
    while window.undo_stack.canRedo():
        window.commands.redo_action.trigger()
    assert _state(window) == final

    saved = tmp_path / "six-turns.json"
    assert window.save_to(saved)
    assert not window.isWindowModified()

    reopened = make_window(Conversation(), user_dir=tmp_path / "user2")
    assert reopened.open_path(saved)
    assert _state(reopened) == final

    body_path = tmp_path / "body.json"
    assert reopened.export_to(body_path, "openai-chat")
    body = json.loads(body_path.read_text(encoding="utf-8"))
    messages = body["messages"]
    assert [m["role"] for m in messages] == [
        "system", "user", "assistant", "user", "assistant", "user", "assistant"]
    assert messages[0]["content"] in ("You are terse.",
                                      [{"type": "text", "text": "You are terse."}])

    image = next(p for p in messages[1]["content"] if p["type"] == "image_url")
    url = image["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == png.read_bytes()

    pdf_part = next(p for p in messages[5]["content"] if p["type"] == "file")
    data = pdf_part["file"]["file_data"]
    assert data.startswith("data:application/pdf;base64,")
    assert base64.b64decode(data.split(",", 1)[1]) == pdf.read_bytes()
    assert pdf_part["file"]["filename"] == "page.pdf"
    texts = [p["text"] for p in messages[5]["content"] if p["type"] == "text"]
    assert texts == ["Summarise the attached PDF."]
