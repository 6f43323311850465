"""Test helpers: SSE bodies framed by the production decoder, frames run through a parser, and
recorded replies read the way the app reads them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from composer.models.assembler import Assembler
from composer.models.events import StreamEvent
from composer.providers.base import Frame, Parser, WireProtocol
from composer.providers.sse import Decoder, SSEDecoder
from tests.cassettes import Interaction


def decode(chunks: Iterable[bytes], decoder: Decoder | None = None) -> list[Frame]:
    """Every frame of a body arriving in these chunks (e.g. a socket's), closed at the end; SSE
    unless another ``decoder`` is given."""
    decoder = decoder or SSEDecoder()
    found: list[Frame] = []
    for chunk in chunks:
        found.extend(decoder.feed(chunk))
    return found + decoder.close()


def frames(body: str | bytes, chunk_size: int | None = None) -> list[Frame]:
    """The frames of a whole SSE body, fed at once or in chunks of ``chunk_size`` bytes."""
    raw = body.encode() if isinstance(body, str) else body
    step = chunk_size or len(raw) or 1
    return decode(raw[i:i + step] for i in range(0, len(raw), step))


def assemble(parser: Parser, frames: Iterable[Frame]) -> Assembler:
    """The frames through ``parser`` (closed at the end) into a fresh Assembler."""
    return assemble_events([*(e for frame in frames for e in parser.feed(frame)),
                            *parser.close()])


def assemble_events(events: Iterable[StreamEvent]) -> Assembler:
    """These events into a fresh Assembler."""
    assembler = Assembler()
    for event in events:
        assembler.feed(event)
    return assembler


def assemble_recorded(interaction: Interaction, protocol: WireProtocol,
                      parse_response: Callable[[Any], list[StreamEvent]]) -> Assembler:
    """A recorded reply read the way the app reads it: a streamed body frame by frame through
    the protocol's parser, a whole JSON body through the module's ``parse_response``."""
    if interaction.streaming:
        return assemble(protocol.new_parser(), frames(interaction.response_body))
    return assemble_events(parse_response(json.loads(interaction.response_body)))
