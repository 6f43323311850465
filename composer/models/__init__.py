"""The document: messages and parts, attachments, settings, exchanges, events. No Qt here."""

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError, FormatError, VersionError
from composer.models.exchange import ErrorInfo, Exchange, LogEntry, Timing, Usage
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

__all__ = [
    "ROLES", "Attachment", "AttachmentPart", "Citation", "ComposerError", "Conversation",
    "ErrorInfo", "Exchange", "FormatError", "LogEntry", "Message", "Part", "ReasoningPart",
    "RequestSettings", "TextPart", "Timing", "Tool", "ToolCallPart", "ToolResultPart", "Usage",
    "VersionError",
]
