"""A conversation: the messages the user composes and the settings to send them with.

This is what the table edits and what a provider turns into a request (the design's
``ChatRequest``). On disk it is the *conversation file*:
``{"messages": [...], "settings": {...}, "composer": {"kind": "conversation", "format_version": N}}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from composer.models.parts import Message, Value
from composer.models.settings import RequestSettings

CONVERSATION_VERSION = 1


class FileHeader(Value):
    kind: str
    format_version: int
    # The values of the conversation's {{variables}} for an interactive send.
    variables: dict[str, str] | None = None


class Conversation(Value):
    messages: list[Message] = Field(default_factory=list)
    settings: RequestSettings = Field(default_factory=RequestSettings)
    composer: FileHeader = Field(
        default_factory=lambda: FileHeader(kind="conversation", format_version=CONVERSATION_VERSION)
    )

    @property
    def variable_values(self) -> dict[str, str]:
        return dict(self.composer.variables or {})

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["composer"] = {**data.get("composer", {}), "kind": "conversation",
                            "format_version": CONVERSATION_VERSION}
        return data
