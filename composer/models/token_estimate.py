"""A token estimate for a conversation, row by row, for when no provider counter answers.

It is an estimate and says so wherever it is shown: about four characters a token for text
(every provider's own rule of thumb), a few tokens of framing per message and per tool, and a
fixed cost for a binary attachment (an image ~1,000 tokens, a PDF ~1,500 a page), because the
real figure depends on the model's tokenizer and image sizing, which only the provider knows.

The same estimate also splits an exact total into rows (``scaled``): a provider's counter gives
one number for the whole request, and counting every row alone would cost one call per row.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from msgspec import Struct

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # role and separators around each message
TOOL_OVERHEAD = 10  # the framing of a tool definition, call or result
REQUEST_OVERHEAD = 3  # the start of the reply
IMAGE_TOKENS = 1000
PDF_PAGE_TOKENS = 1500
MEDIA_TOKENS = 1000  # audio, video, any other binary: a placeholder, not a measure
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")
_PDF_SCAN_LIMIT = 20_000_000  # bytes; a bigger PDF counts as one page per 60 kB


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _json_tokens(value: Any) -> int:
    return text_tokens(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def pdf_pages(attachment: Attachment) -> int:
    size = attachment.size
    if size is None:
        return 1
    if size > _PDF_SCAN_LIMIT:
        return max(1, size // 60_000)
    try:
        found = len(_PDF_PAGE.findall(attachment.data()))
    except ValueError:
        return 1
    return max(1, found)


def attachment_tokens(attachment: Attachment | None) -> int:
    if attachment is None:
        return 0
    kind = attachment.kind
    if kind == "image":
        return IMAGE_TOKENS
    if kind == "pdf":
        return PDF_PAGE_TOKENS * pdf_pages(attachment)
    if kind == "text":
        size = attachment.size
        return math.ceil(size / CHARS_PER_TOKEN) if size is not None else MEDIA_TOKENS
    return MEDIA_TOKENS


def message_tokens(message: Message) -> int:
    total = MESSAGE_OVERHEAD
    for part in message.parts:
        if isinstance(part, TextPart | ReasoningPart):
            total += text_tokens(part.text)
        elif isinstance(part, ToolCallPart):
            total += TOOL_OVERHEAD + text_tokens(part.name) + _json_tokens(part.arguments)
        elif isinstance(part, ToolResultPart):
            total += TOOL_OVERHEAD + text_tokens(part.output)
            total += sum(attachment_tokens(a) for a in part.attachments)
        elif isinstance(part, AttachmentPart):
            total += attachment_tokens(part.attachment)
    return total


def settings_tokens(settings: RequestSettings) -> int:
    """What the request carries besides its rows: tool definitions, the response schema."""
    total = REQUEST_OVERHEAD
    for tool in settings.tools:
        total += TOOL_OVERHEAD + _json_tokens(tool.to_dict())
    if settings.response_schema:
        total += _json_tokens(settings.response_schema)
    return total


class RowTokens(Struct, frozen=True):
    """Tokens per row (in table order) and the rest of the request (tools, schema, framing)."""

    rows: tuple[int, ...]
    other: int

    @property
    def total(self) -> int:
        return sum(self.rows) + self.other


def estimate(conversation: Conversation) -> RowTokens:
    return RowTokens(tuple(message_tokens(m) for m in conversation.messages),
                     settings_tokens(conversation.settings))


def scaled(shares: RowTokens, total: int) -> RowTokens:
    """``shares`` scaled to sum to ``total`` (largest remainders, so the rows add up)."""
    weights = [*shares.rows, shares.other]
    whole = sum(weights)
    if whole <= 0 or total < 0:
        return RowTokens(tuple(0 for _ in shares.rows), max(total, 0))
    exact = [w * total / whole for w in weights]
    floors = [math.floor(x) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[:left]:
        floors[i] += 1
    return RowTokens(tuple(floors[:-1]), floors[-1])
