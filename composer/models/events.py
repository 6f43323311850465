"""Stream events: the one event type that flows from every protocol parser to the assembler.

A parser turns wire bytes into these; the assembler turns these into parts. Each event that
builds a part carries a ``key``: the parser's name for the part it belongs to (Anthropic's block
index, a Chat tool call's index, a Responses item id...). Events with a key the assembler has not
seen start a new part, in arrival order; so two text blocks stay two text parts.

Small frozen msgspec Structs: they are made once per streamed delta. The two that are also kept
in a saved exchange, ``Usage`` and ``StreamError``, are its records (value.py).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from composer.models.value import Value


class TextDelta(Struct, frozen=True):
    key: str
    text: str


class ReasoningDelta(Struct, frozen=True):
    key: str
    text: str = ""
    redacted: bool = False
    token_count: int | None = None


class ToolCallStart(Struct, frozen=True):
    key: str
    name: str
    tool_call_id: str | None = None
    server_executed: bool = False


class ToolCallDelta(Struct, frozen=True):
    """A fragment of a tool call's JSON arguments, shown as it grows, parsed at the end."""

    key: str
    arguments: str


class ToolCallEnd(Struct, frozen=True):
    """The call is complete. ``arguments`` is set when the wire delivered them whole."""

    key: str
    arguments: dict[str, Any] | None = None


class ToolResult(Struct, frozen=True):
    """A server-side tool's result (web search, code execution)."""

    key: str
    name: str
    output: str
    tool_call_id: str | None = None
    server_executed: bool = True


class OutputAttachment(Struct, frozen=True):
    """An image or audio clip the model produced: base64 content or a URL.

    ``partial`` images (progressive previews) replace the part's content rather than append.
    """

    key: str
    mime: str
    content: str | None = None
    url: str | None = None
    partial: bool = False


class CitationAdded(Struct, frozen=True):
    key: str
    url: str | None = None
    title: str | None = None
    cited_text: str | None = None


class PartMetadata(Struct, frozen=True):
    """Provider metadata for the part ``key`` (a signature, an item id...), merged per provider."""

    key: str
    provider: str
    data: dict[str, Any]


class ResponseInfo(Struct, frozen=True):
    """What a provider says about the whole response: its id, the model that answered."""

    id: str | None = None
    model: str | None = None
    provider_metadata: dict[str, Any] | None = None


class Usage(Value):
    """Token counts, in llm's shape (``input``, ``output``, ``details``): the event a parser
    reports and the record an exchange keeps. A later report replaces an earlier one field by
    field. ``reasoning`` and ``cached`` are read into ``details`` (``reasoning_tokens``,
    ``cached_tokens``), where llm keeps them."""

    input: int | None = None
    output: int | None = None
    details: dict[str, Any] | None = None

    @classmethod
    def report(cls, *, input: int | None = None, output: int | None = None,  # noqa: A002
               details: dict[str, Any] | None = None, reasoning: int | None = None,
               cached: int | None = None) -> Usage:
        """A parser's report: ``reasoning`` and ``cached`` go into ``details``."""
        details = dict(details or {})
        if reasoning is not None:
            details["reasoning_tokens"] = reasoning
        if cached is not None:
            details["cached_tokens"] = cached
        return cls(input=input, output=output, details=details or None)


UsageReport = Usage  # the name parsers report it by


class Finish(Struct, frozen=True):
    """The provider's own stop reason, normalised: stop, length, tool_calls, content_filter,
    refusal, or the raw value when it is none of these."""

    reason: str
    raw: str | None = None


class StreamError(Value, kw_only=False):
    """Something went wrong: before the stream (HTTP status), in band, or on the wire. The
    same record is what a saved exchange keeps (``composer.error``) and what the window shows."""

    message: str
    kind: str = "provider"  # http | network | timeout | truncated | cancelled | provider | refused
    status: int | None = None
    provider_type: str | None = None
    request_id: str | None = None
    retry_after: float | None = None
    body: str | None = None


class Retrying(Struct, frozen=True):
    """The transport will try again in ``delay`` seconds (attempt ``attempt`` of ``of``)."""

    delay: float
    attempt: int
    of: int
    reason: str


StreamEvent = (
    TextDelta
    | ReasoningDelta
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | ToolResult
    | OutputAttachment
    | CitationAdded
    | PartMetadata
    | ResponseInfo
    | UsageReport
    | Finish
    | StreamError
    | Retrying
)
