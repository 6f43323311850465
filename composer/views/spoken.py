"""What a screen reader says for a message row: its role and a summary of its parts, in order.

Pure functions of a Message (no Qt), answered by the table model for ``AccessibleTextRole``
(the cell) and ``AccessibleDescriptionRole`` (the row's parts).
"""

from __future__ import annotations

from composer.models.caching import row_marks, ttl_label
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.views.short_text import one_line

KIND_WORDS = {"image": "image", "audio": "audio clip", "video": "video", "pdf": "PDF",
              "text": "text file", "file": "file"}


def spoken_part(part) -> str:
    if isinstance(part, TextPart):
        return "text"
    if isinstance(part, ReasoningPart):
        return "reasoning (redacted)" if part.redacted else "reasoning"
    if isinstance(part, ToolCallPart):
        return f"tool call {part.name or 'unnamed'}"
    if isinstance(part, ToolResultPart):
        failed = " (failed)" if part.exception else ""
        return f"tool result {part.name or ''}{failed}".replace("  ", " ")
    if isinstance(part, AttachmentPart) and part.attachment is not None:
        a = part.attachment
        return f"{KIND_WORDS.get(a.kind, 'file')} {a.display_name}"
    return getattr(part, "type", "part")


def parts_summary(message: Message) -> str:
    """'3 parts: text, image chart.png, tool call lookup' (in the parts' own order)."""
    n = len(message.parts)
    if n == 0:
        return "no parts"
    words = ", ".join(spoken_part(p) for p in message.parts)
    return f"{n} part{'s' if n != 1 else ''}: {words}"


def cell_text(message: Message, row: int, column: int) -> str:
    """The cell as said: the role column names the row and its role; the content column its
    text; the attachments column its files."""
    if column == 0:
        ttl = row_marks(message)
        cache = f", cache breakpoint {ttl_label(ttl)}" if ttl else ""
        return f"Row {row + 1}, {message.role}{cache}"
    if column == 1:
        text = one_line(message.plain_text, 200)
        return f"{message.role}: {text}" if text else f"{message.role}: {parts_summary(message)}"
    files = [spoken_part(p) for p in message.parts if isinstance(p, AttachmentPart)]
    return ", ".join(files) if files else "no attachments"
