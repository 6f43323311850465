"""Test helpers: SSE bodies framed by the production decoder, and frames run through a parser."""

from __future__ import annotations

from collections.abc import Iterable

from composer.models.assembler import Assembler
from composer.providers.base import Frame, Parser
from composer.providers.sse import Decoder, SSEDecoder


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
    assembler = Assembler()
    for frame in frames:
        for event in parser.feed(frame):
            assembler.feed(event)
    for event in parser.close():
        assembler.feed(event)
    return assembler
