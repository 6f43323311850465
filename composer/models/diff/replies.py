"""Two replies compared the way a reader compares them: part kind by part kind.

A reply is a list of messages (an exchange's output ``messages``, a variant, a compare column).
Its parts are taken by kind, so reasoning is compared with reasoning and text with text, never
across: all the text parts read as one text (as ``Message.plain_text`` joins them), all the
reasoning as one; tool calls are paired by name and order (the second ``search`` call with the
second ``search`` call), tool results likewise, attachments by MIME type and order. Text and
reasoning are compared word by word (``words.diff_text``); tool-call arguments, and a text or a
tool result that is JSON on both sides (structured output), field by field (``fields``), with
the JSON also shown pretty-printed word by word. Identifiers that always differ between two
calls (``tool_call_id``, ``provider_metadata`` such as signatures) are not compared.

``diff_exchanges`` adds what differs about the two requests' outcomes: model, stop reason,
token counts, error. They are shown, but whether two replies are *equal* is about the replies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal

from msgspec import Struct, field

from composer.models import jsontext
from composer.models.attachment import Attachment
from composer.models.diff.fields import FieldChanges, diff_json, value_text
from composer.models.diff.words import Segment, diff_text
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

Kind = Literal["reasoning", "text", "tool_call", "tool_result", "attachment"]
Side = Literal["a", "b"]


class Section(Struct):
    """One part kind (or one tool call, result or attachment) of the two replies compared."""

    kind: Kind
    title: str
    segments: list[Segment] = field(default_factory=list)
    fields: FieldChanges = field(default_factory=FieldChanges)
    json: bool = False  # compared as JSON: ``fields`` is the difference, segments show it
    only: Side | None = None  # present in one reply only
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        if self.only is not None or self.fields or self.notes:
            return True
        # Two JSON values are the same when their fields are (key order is not a change).
        return not self.json and any(s.op != "equal" for s in self.segments)


class Difference(Struct, frozen=True):
    """Something about the two requests that differs: ``what`` and its two values as text."""

    what: str
    old: str
    new: str


class ReplyDiff(Struct):
    sections: list[Section]
    summary: list[Difference] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """The replies are the same (the summary of model, tokens and so on does not count)."""
        return not any(s.changed for s in self.sections)

    @property
    def changed_sections(self) -> list[Section]:
        return [s for s in self.sections if s.changed]


def diff_replies(a: Sequence[Message], b: Sequence[Message]) -> ReplyDiff:
    pa = [p for m in a for p in m.parts]
    pb = [p for m in b for p in m.parts]
    sections: list[Section] = []
    sections += _reasoning(_of(pa, ReasoningPart), _of(pb, ReasoningPart))
    sections += _text(_of(pa, TextPart), _of(pb, TextPart))
    for x, y, title in _paired(_of(pa, ToolCallPart), _of(pb, ToolCallPart), "Tool call"):
        sections.append(_tool_call(x, y, title))
    for x, y, title in _paired(_of(pa, ToolResultPart), _of(pb, ToolResultPart), "Tool result"):
        sections.append(_tool_result(x, y, title))
    atts_a = [p.attachment for p in _of(pa, AttachmentPart) if p.attachment is not None]
    atts_b = [p.attachment for p in _of(pb, AttachmentPart) if p.attachment is not None]
    for x, y, title in _paired(atts_a, atts_b, "Attachment", key=lambda t: t.mime):
        sections.append(_attachment(x, y, title))
    return ReplyDiff(sections)


def _of(parts: list, kind: type) -> list:
    return [p for p in parts if isinstance(p, kind)]


def _reasoning(a: list[ReasoningPart], b: list[ReasoningPart]) -> list[Section]:
    if not a and not b:
        return []
    section = _compare_text("reasoning", "Reasoning", _joined(a), _joined(b), bool(a), bool(b),
                            as_json=False)
    redacted_a, redacted_b = (sum(p.redacted for p in parts) for parts in (a, b))
    if redacted_a != redacted_b:
        section.notes.append(f"reasoning parts withheld by the provider: {redacted_a} in A, "
                             f"{redacted_b} in B")
    return [section]


def _text(a: list[TextPart], b: list[TextPart]) -> list[Section]:
    ta, tb = _joined(a), _joined(b)
    if not ta and not tb:
        return []
    return [_compare_text("text", "Text", ta, tb, bool(ta), bool(tb), as_json=True)]


def _joined(parts: list) -> str:
    return "\n\n".join(p.text for p in parts if p.text)


def _compare_text(kind: Kind, title: str, a: str, b: str, in_a: bool, in_b: bool, *,
                  as_json: bool) -> Section:
    section = Section(kind, title, only=None if in_a and in_b else ("a" if in_a else "b"))
    parsed = (_json_value(a), _json_value(b)) if as_json and in_a and in_b else (None, None)
    if parsed[0] is not None and parsed[1] is not None:
        section.json = True
        section.title = f"{title} (JSON)"
        section.fields = diff_json(parsed[0], parsed[1])
        section.segments = diff_text(_pretty(parsed[0]), _pretty(_in_order_of(parsed[1],
                                                                               parsed[0])))
    else:
        section.segments = diff_text(a, b)
    return section


_FENCE_OPEN = ("```json\n", "```JSON\n", "```\n")


def _json_value(text: str) -> Any:
    """The object or array a text holds (alone, or as the one fenced code block it is), else
    None."""
    text = text.strip()
    for fence in _FENCE_OPEN:
        if text.startswith(fence) and text.endswith("```") and text.count("```") == 2:
            text = text[len(fence):-3].strip()
            break
    if not text.startswith(("{", "[")):
        return None
    try:
        value, _ = jsontext.loads(text)
    except jsontext.JSONTextError:
        return None
    return value if isinstance(value, dict | list) else None


def _pretty(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return f"({jsontext.json_kind(value)} nested too deep to show)"


def _in_order_of(value: Any, model: Any, depth: int = 0) -> Any:
    """``value`` with its objects' keys in the order ``model`` has them (keys only ``value``
    has come last), so that the two pretty-printed side by side differ only where they do."""
    if depth > 2 * jsontext.MAX_DEPTH:
        return value
    if isinstance(value, dict) and isinstance(model, dict):
        keys = [k for k in model if k in value] + [k for k in value if k not in model]
        return {k: _in_order_of(value[k], model.get(k), depth + 1) for k in keys}
    if isinstance(value, list) and isinstance(model, list):
        return [_in_order_of(v, model[i] if i < len(model) else None, depth + 1)
                for i, v in enumerate(value)]
    return value


def _paired(a: list, b: list, label: str, key=lambda p: p.name) -> list[tuple[Any, Any, str]]:
    """(a's item or None, b's item or None, title) for the n-th item of each key on either
    side, in the order they first appear (a's, then those only b has)."""
    groups: dict[str, tuple[list, list]] = {}
    for side, items in ((0, a), (1, b)):
        for item in items:
            groups.setdefault(key(item), ([], []))[side].append(item)
    out = []
    for name, (xs, ys) in groups.items():
        count = max(len(xs), len(ys))
        for n in range(count):
            x = xs[n] if n < len(xs) else None
            y = ys[n] if n < len(ys) else None
            title = f"{label} {name or '(unnamed)'}" + (f" #{n + 1}" if count > 1 else "")
            out.append((x, y, title))
    return out


def _only(x: Any, y: Any) -> Side | None:
    return None if x is not None and y is not None else ("a" if x is not None else "b")


def _tool_call(x: ToolCallPart | None, y: ToolCallPart | None, title: str) -> Section:
    section = Section("tool_call", title, json=True, only=_only(x, y))
    args_a = x.arguments if x is not None else None
    args_b = y.arguments if y is not None else None
    if x is not None and y is not None:
        section.fields = diff_json(args_a, args_b)
        args_b = _in_order_of(args_b, args_a)
    section.segments = diff_text(_pretty(args_a) if x is not None else "",
                                 _pretty(args_b) if y is not None else "")
    return section


def _tool_result(x: ToolResultPart | None, y: ToolResultPart | None, title: str) -> Section:
    section = _compare_text("tool_result", title, x.output if x else "", y.output if y else "",
                            x is not None, y is not None, as_json=True)
    if x is not None and y is not None:
        if x.exception != y.exception:
            section.notes.append(f"exception: {value_text(x.exception)} → "
                                 f"{value_text(y.exception)}")
        if len(x.attachments) != len(y.attachments) or any(
                _identity(u) != _identity(v)
                for u, v in zip(x.attachments, y.attachments, strict=False)):
            section.notes.append(f"attachments differ ({_describe_all(x.attachments)} → "
                                 f"{_describe_all(y.attachments)})")
    return section


def _attachment(x: Attachment | None, y: Attachment | None, title: str) -> Section:
    section = Section("attachment", title, only=_only(x, y))
    if x is not None and y is not None and _identity(x) != _identity(y):
        section.notes.append(f"{_describe(x)} → {_describe(y)}, contents differ")
    elif section.only is not None:
        section.notes.append(_describe(x if x is not None else y))
    return section


def _identity(att: Attachment) -> tuple[str, str]:
    """What makes two attachments the same: type and content (by hash), else URL, else path.
    A linked file is never read here."""
    if att.content:
        return att.mime, hashlib.sha256(att.content.encode("ascii", "replace")).hexdigest()
    return att.mime, att.url or att.path or ""


def _describe(att: Attachment) -> str:
    size = att.size
    where = f"{size:,} bytes" if size is not None else (att.url or att.path or "no content")
    return f"{att.mime}, {where}"


def _describe_all(atts: list[Attachment]) -> str:
    return "; ".join(_describe(a) for a in atts) or "none"
