"""Messages and their typed parts, with llm 0.32's JSON field names.

A message is ``{"role", "parts": [...], "provider_metadata"?}``; a part is one of five types,
told apart by ``type``. These are values: equal by content. Row identity (for undo, drag and
selection) belongs to the document that holds them, not to the message.

Invariants:
- ``provider_metadata`` and any key we do not know survive load/save verbatim (value.py).
- Serialising drops ``None`` and the false/empty defaults llm itself omits, so our dicts look like
  ``Part.to_dict()``'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import field

from composer.models.attachment import Attachment
from composer.models.value import Check, Value

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


class _PartBase(Value):
    provider_metadata: dict[str, Any] | None = None


class Citation(Value):
    url: str | None = None
    title: str | None = None
    cited_text: str | None = None


class TextPart(_PartBase):
    type: Literal["text"] = "text"
    text: str = ""
    # Not in llm: sources a provider attached to this text (llm ignores the key).
    citations: list[Citation] | None = None


class ReasoningPart(_PartBase):
    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    redacted: bool = False
    token_count: int | None = None


class ToolCallPart(_PartBase):
    type: Literal["tool_call"] = "tool_call"
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    tool_call_id: str | None = None
    server_executed: bool = False


class ToolResultPart(_PartBase):
    type: Literal["tool_result"] = "tool_result"
    name: str = ""
    output: str = ""
    tool_call_id: str | None = None
    server_executed: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    exception: str | None = None


class AttachmentPart(_PartBase):
    type: Literal["attachment"] = "attachment"
    attachment: Attachment | None = None


Part = Annotated[
    TextPart | ReasoningPart | ToolCallPart | ToolResultPart | AttachmentPart,
    Check(discriminator="type"),
]


class Message(Value):
    role: Role
    parts: list[Part] = field(default_factory=list)
    provider_metadata: dict[str, Any] | None = None

    @classmethod
    def text(cls, role: Role, text: str) -> Message:
        return cls(role=role, parts=[TextPart(text=text)])

    @property
    def plain_text(self) -> str:
        """The message's text parts joined, as a reader would see them."""
        return "\n\n".join(p.text for p in self.parts if isinstance(p, TextPart))

    def parts_of(self, kind: type) -> list:
        return [p for p in self.parts if isinstance(p, kind)]

    @property
    def attachments(self) -> list[Attachment]:
        return [p.attachment for p in self.parts if isinstance(p, AttachmentPart) and p.attachment]
