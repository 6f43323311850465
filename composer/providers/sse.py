"""Incremental framing: byte chunks in, ``Frame``s out, for SSE, NDJSON and whole-JSON bodies.

Each decoder is fed chunks as they come off the socket and returns the frames completed so far;
``close()`` at end of body returns whatever was still pending. The work is linear in the body
size: only newly arrived text is scanned for line ends, and a long line split over many chunks is
kept as a list of pieces joined once.

SSE follows the HTML spec's event-stream rules: ``\\r\\n``, ``\\n`` and ``\\r`` all end a line (a
``\\r\\n`` split across two chunks counts once), a leading BOM is dropped, ``:`` lines are comments
(keep-alives), ``data`` lines join with ``\\n``, one space after the colon is dropped, and an empty
line dispatches the event. Unlike the spec, an event left without its final blank line at end of
body is still dispatched: some servers end ``data: [DONE]`` with a single newline.
"""

from __future__ import annotations

import codecs
from itertools import repeat
from operator import itemgetter, methodcaller

from composer.providers.base import Frame


class _Lines:
    """Splits decoded text into lines, across chunk boundaries."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pieces: list[str] = []
        self._pending_cr = False
        self._started = False

    def feed(self, chunk: bytes, final: bool = False) -> list[str]:
        text = self._utf8.decode(chunk, final)
        if not self._started and text:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._pending_cr and text:
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]
        if "\r" in text:
            # Every line end made a \n (a \r\n counts once), then split in C as the usual
            # case is. A \r last may be the first half of a \r\n whose \n is in the next chunk.
            self._pending_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        *complete, rest = text.split("\n")
        if complete:
            if self._pieces:
                self._pieces.append(complete[0])
                complete[0] = "".join(self._pieces)
                self._pieces.clear()
        if rest:
            self._pieces.append(rest)
        return complete

    def close(self) -> list[str]:
        lines = self.feed(b"", final=True)
        if self._pieces:
            lines.append("".join(self._pieces))
            self._pieces.clear()
        return lines


class SSEDecoder:
    def __init__(self) -> None:
        self._lines = _Lines()
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Frame]:
        return self._take(self._lines.feed(chunk))

    def close(self) -> list[Frame]:
        frames = self._take(self._lines.close())
        frames.extend(self._dispatch())
        return frames

    def _take(self, lines: list[str]) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        if self._data or self._event is not None:  # an event begun in the last chunk
            start = lines.index("") + 1 if "" in lines else len(lines)
            frames += self._walk(lines[:start])
        if start < len(lines):
            shape = _SHAPES.get(lines[start][:6])
            if shape is not None:  # whole events all of one usual shape, in C
                size = len(lines) - start
                end = start + size - size % shape
                made = _uniform(lines[start:end], shape)
                if made is not None:
                    frames += made
                    start = end
            frames += self._walk(lines[start:] if start else lines)
        return frames

    def _walk(self, lines: list[str]) -> list[Frame]:
        """The lines one by one, by the spec's rules."""
        frames: list[Frame] = []
        data, event = self._data, self._event
        for line in lines:
            if not line:  # the event is complete
                if data:
                    frames.append(Frame(data[0] if len(data) == 1 else "\n".join(data), event))
                    data = []
                event = None
            elif line[:5] == "data:":  # the usual lines first, without a partition
                data.append(line[6:] if line[5:6] == " " else line[5:])
            elif line[:6] == "event:":
                event = (line[7:] if line[6:7] == " " else line[6:]) or None
            elif line[0] == ":":
                continue
            else:
                name, colon, value = line.partition(":")
                if colon and value[:1] == " ":
                    value = value[1:]
                if name == "data":
                    data.append(value)
                elif name == "event":
                    event = value or None
                # "id" and "retry" mean nothing to a one-shot POST stream; other fields are
                # ignored.
        self._data, self._event = data, event
        return frames

    def _dispatch(self) -> list[Frame]:
        if not self._data:
            self._event = None
            return []
        frame = Frame("\n".join(self._data), self._event)
        self._data = []
        self._event = None
        return [frame]


# The usual events: "data: ..." and a blank line, or "event: ...", "data: ..." and a blank
# line; by the start of an event's first line, how many lines each has.
_SHAPES = {"data: ": 2, "event:": 3}
_DATA, _EVENT = methodcaller("startswith", "data: "), methodcaller("startswith", "event: ")
_AFTER_DATA, _AFTER_EVENT = itemgetter(slice(6, None)), itemgetter(slice(7, None))


def _uniform(lines: list[str], shape: int) -> list[Frame] | None:
    """The frames of ``lines``, whole events of ``shape`` lines each (a named one, its name
    not empty, or a bare one, with one "data: " line and a blank line each), read without a
    step in Python per line; None if any line is not of that shape (``_walk`` reads them)."""
    if shape == 2:
        data, blank = lines[0::2], lines[1::2]
        if blank.count("") != len(blank) or not all(map(_DATA, data)):
            return None
        return list(map(tuple.__new__, repeat(Frame),
                        zip(map(_AFTER_DATA, data), repeat(None), strict=False)))
    names, data, blank = lines[0::3], lines[1::3], lines[2::3]
    if blank.count("") != len(blank) or not all(map(_EVENT, names)) \
            or not all(map(_DATA, data)):
        return None
    names = list(map(_AFTER_EVENT, names))
    if not all(names):  # (an empty name is no name: _walk)
        return None
    return list(map(tuple.__new__, repeat(Frame),
                    zip(map(_AFTER_DATA, data), names, strict=True)))


class NDJSONDecoder:
    """One JSON value per line; blank lines are skipped. Frames carry the line's text."""

    def __init__(self) -> None:
        self._lines = _Lines()

    def feed(self, chunk: bytes) -> list[Frame]:
        return [Frame(data=line) for line in self._lines.feed(chunk) if line.strip()]

    def close(self) -> list[Frame]:
        return [Frame(data=line) for line in self._lines.close() if line.strip()]


class WholeBodyDecoder:
    """A single JSON body (a non-streaming reply): one frame at the end."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> list[Frame]:
        self._chunks.append(chunk)
        return []

    def close(self) -> list[Frame]:
        body = b"".join(self._chunks).decode("utf-8-sig", errors="replace")
        self._chunks.clear()
        return [Frame(data=body)] if body.strip() else []


Decoder = SSEDecoder | NDJSONDecoder | WholeBodyDecoder


def decoder_for(framing: str) -> Decoder:
    if framing == "sse":
        return SSEDecoder()
    if framing == "ndjson":
        return NDJSONDecoder()
    if framing == "json":
        return WholeBodyDecoder()
    raise ValueError(f"unknown framing {framing!r} (expected sse, ndjson or json)")
