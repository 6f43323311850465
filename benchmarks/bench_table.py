"""Message table performance with a big conversation (not a test: prints the numbers).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_table.py [ROWS]

Builds a conversation of ROWS messages (default 5,000) with long texts, tool calls and
attachments, then times: model and view creation, a full scroll through the view with a paint
per screen, an insert at the top, its undo, a move, and a bulk role change.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.models.attachment import Attachment  # noqa: E402
from composer.models.conversation import Conversation  # noqa: E402
from composer.models.document import Document  # noqa: E402
from composer.models.parts import (  # noqa: E402
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.views.table.view import MessageTable  # noqa: E402
from composer.views.undo import DocumentEditor  # noqa: E402

LONG = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40 + "\n") * 6


def build(rows: int) -> Conversation:
    image = Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, name="pic.png")
    messages = []
    for i in range(rows):
        match i % 5:
            case 0:
                messages.append(Message.text("user", f"Question {i}\n{LONG}"))
            case 1:
                messages.append(Message(role="assistant", parts=[
                    ReasoningPart(text="thinking " * 200),
                    ToolCallPart(name="lookup", arguments={"q": i}, tool_call_id=f"c{i}")]))
            case 2:
                messages.append(Message(role="tool", parts=[ToolResultPart(
                    name="lookup", output="result " * 300, tool_call_id=f"c{i - 1}")]))
            case 3:
                messages.append(Message(role="user", parts=[TextPart(text="see"),
                                                            AttachmentPart(attachment=image)]))
            case _:
                messages.append(Message.text("assistant", f"Answer {i}: " + LONG[:3000]))
    return Conversation(messages=messages)


@contextmanager
def timed(label: str, results: list[tuple[str, float]]):
    start = time.perf_counter()
    yield
    results.append((label, (time.perf_counter() - start) * 1000))


def main(rows: int = 5000) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    results: list[tuple[str, float]] = []
    with timed(f"build {rows:,}-message conversation", results):
        conversation = build(rows)
    with timed("document + model + view creation", results):
        editor = DocumentEditor(Document(conversation), QUndoStack())
        table = MessageTable(editor)
        table.resize(1000, 700)
        table.show()
        app.processEvents()
    bar = table.verticalScrollBar()
    screens = 0
    with timed("full scroll, one paint per screen", results):
        value = 0
        while True:
            bar.setValue(value)
            table.viewport().repaint()
            screens += 1
            if value >= bar.maximum():
                break
            value = min(bar.maximum(), value + table.viewport().height())
        app.processEvents()
    with timed("insert a row at the top", results):
        editor.add_row("user", 0)
        app.processEvents()
    with timed("undo the insert", results):
        editor.undo_stack.undo()
        app.processEvents()
    with timed("move 100 scattered rows to the end", results):
        editor.move_rows(range(0, rows, rows // 100), rows)
        app.processEvents()
    with timed("set the role of 1,000 rows (one step)", results):
        editor.set_role(range(1000), "assistant")
        app.processEvents()
    with timed("undo both", results):
        editor.undo_stack.undo()
        editor.undo_stack.undo()
        app.processEvents()
    assert len(editor.document) == rows
    width = max(len(label) for label, _ms in results)
    print(f"message table, {rows:,} rows, {screens} screens scrolled")
    for label, ms in results:
        print(f"  {label:<{width}}  {ms:9.1f} ms")
    table.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
