"""An exchange: one request and its reply, as llm's ``Response.to_dict()`` plus our extras.

``{"model", "prompt": {"messages", "options"?}, "messages": [output], "id"?, "usage"?,
"datetime_utc"?, "composer": {...}}`` — ``llm.Response.from_dict()`` reads it as is; everything
that is ours (settings, timing, stop reason, error, the raw event log) sits under ``composer``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from composer.models.conversation import Conversation
from composer.models.events import StreamError, Usage
from composer.models.parts import Message, Value
from composer.models.settings import RequestSettings

EXCHANGE_VERSION = 1


class Prompt(Value):
    messages: list[Message] = Field(default_factory=list)
    options: dict[str, Any] | None = None
    system: str | None = None


class Timing(Value):
    started_utc: str | None = None
    # Milliseconds from sending the request.
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float | None = None


# A failed or cut-short request as saved: the stream's own error record.
ErrorInfo = StreamError


class LogEntry(Value):
    """One raw stream event as it came off the wire, ``t`` seconds after the request was sent."""

    t: float
    data: str
    event: str | None = None


class ExchangeExtras(Value):
    kind: str = "exchange"
    format_version: int = EXCHANGE_VERSION
    settings: RequestSettings = Field(default_factory=RequestSettings)
    protocol: str | None = None
    url: str | None = None
    status: int | None = None
    stop_reason: str | None = None
    error: ErrorInfo | None = None
    timing: Timing = Field(default_factory=Timing)
    events: list[LogEntry] = Field(default_factory=list)


class Exchange(Value):
    model: str = ""
    prompt: Prompt = Field(default_factory=Prompt)
    messages: list[Message] = Field(default_factory=list)
    id: str | None = None
    usage: Usage | None = None
    datetime_utc: str | None = None
    composer: ExchangeExtras = Field(default_factory=ExchangeExtras)

    def conversation(self) -> Conversation:
        """The conversation that produced this exchange, with its reply appended."""
        return Conversation(
            messages=[*self.prompt.messages, *self.messages],
            settings=self.composer.settings.model_copy(deep=True),
        )

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["composer"]["format_version"] = EXCHANGE_VERSION
        data["composer"]["kind"] = "exchange"
        return data
