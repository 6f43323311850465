"""The guard every stream parser runs inside: whatever the wire sends, events come out.

``GuardedParser`` wraps a protocol's parser and keeps two promises for all four protocols at once:

- Nothing escapes: a parser that raises on a frame (a bug on input nobody foresaw) gives one
  ``StreamError`` naming the event, and the stream goes on; ``caught`` keeps the exceptions, so
  the fuzz suite counts them.
- Text is valid Unicode: a JSON ``\\ud83d`` ending one delta and ``\\ude00`` starting the next
  (an emoji split between events) is joined, by holding the high half back until the next delta
  of the same part; a surrogate that stays lone becomes U+FFFD and is counted in ``replaced``.
  Strings in other events are whole and are repaired in place.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

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

    def feed(self, frame: Frame) -> list[StreamEvent]:
        try:
            events = self.parser.feed(frame)
        except Exception as exc:
            self.caught.append(exc)
            label = f"event {frame.event!r}" if frame.event else "a stream event"
            return [StreamError(f"cannot read {label}: {type(exc).__name__}: {exc}"[:500],
                                kind="provider", body=frame.data[:2000])]
        return self._mend(events)

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
            slot = (type(event), event.key)  # type: ignore[union-attr]
            text = self._held.pop(slot, "") + getattr(event, name)
            if text and "\ud800" <= text[-1] <= "\udbff":
                self._held[slot] = text[-1]
                text = text[:-1]
            fixed, count = jsontext.repair(text)
            self.replaced += count
            return event if fixed == getattr(event, name) else replace(event, **{name: fixed})
        return self._repair_fields(event)

    def _repair_fields(self, event: Any) -> Any:
        if not is_dataclass(event):
            return event
        changes = {}
        for f in fields(event):
            value = getattr(event, f.name)
            if isinstance(value, str | dict | list):
                fixed, count = jsontext.repair_value(value)
                if count:
                    self.replaced += count
                    changes[f.name] = fixed
        return replace(event, **changes) if changes else event


def open_parser(protocol: WireProtocol) -> GuardedParser:
    """A new parser for one response of ``protocol``, inside the guard."""
    return GuardedParser(protocol.new_parser())
