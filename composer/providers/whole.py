"""A protocol's whole (non-streamed) replies read like its streams: the body is one frame (the
``json`` framing, sse.WholeBodyDecoder), and the protocol's ``parse_response`` turns it into the
events its stream would have given, so the same Assembler makes the same Exchange.

Batch APIs answer this way (composer.run.testrun.batch), and a replay of such an exchange reads
its one recorded event the same way (replay.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from composer.models.conversation import Conversation
from composer.models.events import StreamError, StreamEvent
from composer.providers import anthropic, gemini, openai_chat, openai_responses
from composer.providers.base import Frame, HttpRequest, WireProtocol, decode_frame

PARSERS: dict[str, Callable[[Any], list[StreamEvent]]] = {
    "openai-chat": openai_chat.parse_response,
    "openai-responses": openai_responses.parse_response,
    "anthropic": anthropic.parse_response,
    "gemini": gemini.parse_response,
}


class WholeReplyParser:
    """One whole reply in, the events of its stream out."""

    def __init__(self, parse: Callable[[Any], list[StreamEvent]]):
        self.parse = parse
        self.done = False

    def feed(self, frame: Frame) -> list[StreamEvent]:
        data = decode_frame(frame, "the provider")
        if isinstance(data, StreamError):
            return [data]
        if data is None:
            return []
        self.done = True
        return self.parse(data)

    def close(self) -> list[StreamEvent]:
        if self.done:
            return []
        self.done = True
        return [StreamError("the reply was empty", kind="truncated")]


class WholeReplies(WireProtocol):
    """``inner``'s non-streamed requests and whole replies (its errors read as its own)."""

    framing = "json"

    def __init__(self, inner: WireProtocol):
        self.inner = inner
        self.name = inner.name
        self.metadata_key = inner.metadata_key

    def build_request(self, conversation: Conversation, *, base_url: str,
                      api_key: str | None, stream: bool = False) -> HttpRequest:
        return self.inner.build_request(conversation, base_url=base_url, api_key=api_key,
                                        stream=False)

    def new_parser(self) -> WholeReplyParser:
        return WholeReplyParser(PARSERS[self.inner.name])

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        return self.inner.parse_error(status, body, headers)


def whole_replies(protocol: WireProtocol) -> WholeReplies | None:
    """``protocol`` for whole replies; None when it has no whole-reply reader."""
    return WholeReplies(protocol) if protocol.name in PARSERS else None
