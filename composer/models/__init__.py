"""The document: messages and parts, attachments, settings, exchanges, events. No Qt here."""

from typing import TYPE_CHECKING

from composer import lazy
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError, FormatError, VersionError
from composer.models.parts import (
    ROLES,
    AttachmentPart,
    Citation,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

# The exchange and its events are imported when first asked for: the window's first paint
# needs the conversation, not the record of a reply.
__getattr__ = lazy.exports(__name__, dict.fromkeys(
    ("ErrorInfo", "Exchange", "LogEntry", "Timing", "Usage"), "exchange"))

if TYPE_CHECKING:
    from composer.models.exchange import ErrorInfo, Exchange, LogEntry, Timing, Usage

__all__ = [
    "ROLES", "Attachment", "AttachmentPart", "Citation", "ComposerError", "Conversation",
    "ErrorInfo", "Exchange", "FormatError", "LogEntry", "Message", "Part", "ReasoningPart",
    "RequestSettings", "TextPart", "Timing", "Tool", "ToolCallPart", "ToolResultPart", "Usage",
    "VersionError",
]
