"""The guard every stream parser runs inside: whatever the wire sends, events come out.

``GuardedParser`` wraps a protocol's parser and keeps two promises for all four protocols at once:

- Nothing escapes: a parser that raises on a frame (a bug on input nobody foresaw) gives one
  ``StreamError`` naming the event, and the stream goes on; ``caught`` keeps the exceptions, so
  the fuzz suite counts them.
- Text is valid Unicode: a JSON ``\\ud83d`` ending one delta and ``\\ude00`` starting the next
  (an emoji split between events) is joined, by holding the high half back until the next delta
  of the same part; a surrogate that stays lone becomes U+FFFD and is counted in ``replaced``.
  Strings in other events are whole and are repaired in place.

It also joins what follows each other in one call into fewer events: the deltas of one part
in a row become one delta (the terminal, a view and the assembler then take a run at once, not
one token at a time), and a parser that holds back what it would repeat every frame (``release``)
reports it once a call. The transport feeds it a slice of frames at a time (``feed_frames``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from composer.models import jsontext
from composer.models.events import (
    ReasoningDelta,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from composer.providers.base import Frame, Parser, WireProtocol

_DELTAS = {TextDelta: "text", ReasoningDelta: "text", ToolCallDelta: "arguments"}


class GuardedParser:
    def __init__(self, parser: Parser):
        self.parser = parser
        self.caught: list[BaseException] = []
        self.replaced = 0
        self._held: dict[tuple[type, str], str] = {}  # a high surrogate waiting for its pair
        # A parser that holds back what it would report frame after frame (a part's text,
        # Gemini's usage) reports it at the end of each call here instead (HeldText).
        self._release = getattr(parser, "release", None)
        if self._release is not None:
            parser.holding = True  # type: ignore[attr-defined]

    def feed(self, frame: Frame) -> list[StreamEvent]:
        return self.feed_frames((frame,))

    def feed_frames(self, frames: Sequence[Frame]) -> list[StreamEvent]:
        """The events of ``frames``, then what the parser held back, mended, with the deltas
        of one part that follow each other joined into one (``joined``)."""
        out: list[StreamEvent] = []
        feed = self.parser.feed
        for frame in (frames if self._release is None else (*frames, None)):
            try:
                # After the last frame (None): what the parser held back.
                events = feed(frame) if frame is not None else self._release()  # type: ignore
            except Exception as exc:
                events = [self._failed(exc, frame or Frame("", "(held back)"))]
            if events:
                out += map(self._mend_one, events)
        return self.joined(out) if len(out) > 1 else out

    @staticmethod
    def joined(events: list[StreamEvent]) -> list[StreamEvent]:
        """``events`` (already mended) with the runs of deltas of one part joined, as
        ``feed_frames`` gives them: for the outputs of several calls put together."""
        out: list[StreamEvent] = []
        run: Any = None
        pieces: list[str] = []
        for event in events:
            name = _DELTAS.get(type(event))
            if name is not None and (type(event) is not ReasoningDelta or (
                    not event.redacted and event.token_count is None)):  # type: ignore
                if run is not None and type(run) is type(event) and run.key == event.key:
                    pieces.append(getattr(event, name))
                    continue
                if run is not None:
                    out.append(_joined(run, pieces))
                run, pieces = event, [getattr(event, name)]
                continue
            if run is not None:
                out.append(_joined(run, pieces))
                run = None
            out.append(event)
        if run is not None:
            out.append(_joined(run, pieces))
        return out

    def _failed(self, exc: Exception, frame: Frame) -> StreamError:
        self.caught.append(exc)
        label = f"event {frame.event!r}" if frame.event else "a stream event"
        return StreamError(f"cannot read {label}: {type(exc).__name__}: {exc}"[:500],
                           kind="provider", body=frame.data[:2000])

    def close(self) -> list[StreamEvent]:
        try:
            events = self.parser.close()
        except Exception as exc:
            self.caught.append(exc)
            events = [StreamError(f"cannot finish the stream: {type(exc).__name__}: {exc}"[:500],
                                  kind="provider")]
        out = self._mend(events)
        for (kind, key), high in self._held.items():  # never completed: lone
            self.replaced += len(high)
            out.append(kind(key, **{_DELTAS[kind]: "\ufffd" * len(high)}))
        self._held.clear()
        return out

    def _mend(self, events: list[StreamEvent]) -> list[StreamEvent]:
        return [self._mend_one(e) for e in events]

    def _mend_one(self, event: StreamEvent) -> StreamEvent:
        name = _DELTAS.get(type(event))
        if name is not None:
            if not self._held and getattr(event, name).isascii():
                return event  # nothing held, nothing to mend: the usual delta
            return self._mend_delta(event, name)
        return self._repair_fields(event)

    def _mend_delta(self, event: Any, name: str) -> Any:
        slot = (type(event), event.key)
        text = self._held.pop(slot, "") + getattr(event, name)
        if text and "\ud800" <= text[-1] <= "\udbff":
            self._held[slot] = text[-1]
            text = text[:-1]
        fixed, count = jsontext.repair(text)
        self.replaced += count
        return event if fixed == getattr(event, name) else replace(event, **{name: fixed})

    def _repair_fields(self, event: Any) -> Any:
        names = _FIELDS.get(type(event))
        if names is None:
            names = _FIELDS[type(event)] = (event.__struct_fields__
                                            if isinstance(event, Struct) else ())
        changes = {}
        for name in names:
            value = getattr(event, name)
            if isinstance(value, str | dict | list):
                fixed, count = jsontext.repair_value(value)
                if count:
                    self.replaced += count
                    changes[name] = fixed
        return replace(event, **changes) if changes else event


_FIELDS: dict[type, tuple[str, ...]] = {}  # an event type -> the fields a repair looks at


def _joined(first: Any, pieces: list[str]) -> Any:
    """One delta for a run of them (``first`` and the texts of the run, its own first)."""
    if len(pieces) == 1:
        return first
    return type(first)(first.key, "".join(pieces))


def open_parser(protocol: WireProtocol) -> GuardedParser:
    """A new parser for one response of ``protocol``, inside the guard."""
    return GuardedParser(protocol.new_parser())
