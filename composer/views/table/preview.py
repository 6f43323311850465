"""Cell previews: short, capped strings for DisplayRole, so painting a long row costs nothing.

No Qt here: these are pure functions of a Message, shared by the table and its tests.
"""

from __future__ import annotations

import json

from composer.models.attachment import Attachment
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.views.plain_markdown import plain_markdown
from composer.views.short_text import NEWLINE_GLYPH, human_size, one_line  # noqa: F401

MAX_CHARS = 500
LINKED = "linked, not loaded"  # an attachment's path whose file has not been read (allowed)
MAX_LINES = 4
HEAD_CHARS = 3 * MAX_CHARS  # of a long text, what a preview reads (Markdown syntax included)


def cap(text: str, max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES) -> str:
    """At most ``max_lines`` lines and ``max_chars`` characters, saying how much was cut."""
    lines = text.split("\n")
    kept = "\n".join(lines[:max_lines])
    if len(kept) > max_chars:
        kept = kept[:max_chars]
    cut = len(text) - len(kept)
    if cut > 0:
        return f"{kept.rstrip()}… (+{cut:,} chars)"
    return kept


def part_summary(part) -> str | None:
    """One line for a part that is not plain text (None for text and attachments)."""
    if isinstance(part, ReasoningPart):
        if part.redacted:
            return "Reasoning (redacted)"
        if not part.text:
            return "Reasoning"
        return f"Reasoning: {one_line(plain_markdown(part.text[:400]), 80)}"  # as it reads
    if isinstance(part, ToolCallPart):
        args = json.dumps(part.arguments, ensure_ascii=False)
        return f"→ {part.name or '?'}({one_line(args, 80)})"
    if isinstance(part, ToolResultPart):
        head = f"← {part.name or 'result'}"
        if part.tool_call_id:
            head += f" [{part.tool_call_id}]"
        body = part.exception or part.output
        return f"{head}: {one_line(body, 80)}" if body else head
    return None


def content_preview(message: Message) -> str:
    """What the content cell shows, part by part in their order: text as it reads (Markdown
    syntax removed), a one-line summary of every other part but attachments, capped."""
    lines = []
    unread = 0  # characters of a long text past what the preview could show
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                head = _head(part.text)
                unread += len(part.text) - len(head)
                lines.append(plain_markdown(head))
        elif (summary := part_summary(part)) is not None:
            lines.append(summary)
    shown = cap("\n".join(lines))
    if not unread:
        return shown
    kept, _, more = shown.rpartition("… (+")
    if not kept:
        return f"{shown.rstrip()}… (+{unread:,} chars)"
    return f"{kept}… (+{int(more.split(' ')[0].replace(',', '')) + unread:,} chars)"


def _head(text: str) -> str:
    """The start of a long text, cut at a line end: all a capped preview can show, so a long
    message is not parsed whole to show its first lines."""
    if len(text) <= HEAD_CHARS:
        return text
    end = text.rfind("\n", HEAD_CHARS // 2, HEAD_CHARS)
    return text[:end if end > 0 else HEAD_CHARS]


def size_text(attachment: Attachment) -> str:
    """The size, or "linked, not loaded" for a linked file not read."""
    return LINKED if attachment.linked else human_size(attachment.size)


def attachment_label(attachment: Attachment) -> str:
    return f"{attachment.display_name} ({size_text(attachment)})"


def attachment_indices(message: Message) -> list[int]:
    """Part indices of the message's attachment parts, in order."""
    return [i for i, p in enumerate(message.parts)
            if isinstance(p, AttachmentPart) and p.attachment is not None]


def tooltip_text(message: Message) -> str:
    kinds = ", ".join(sorted({p.type for p in message.parts})) or "no parts"
    return f"{message.role}: {len(message.parts)} part(s) — {kinds}"

