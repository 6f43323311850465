"""Our own files: a conversation file, or an exchange file (opened with its reply appended)."""

from __future__ import annotations

from typing import Any

from composer.models import files
from composer.models.conversation import CONVERSATION_VERSION, Conversation
from composer.models.exchange import Exchange
from composer.models.formats.base import Exported, Format, Imported
from composer.models.parts import ROLES

_PART_TYPES = frozenset({"text", "reasoning", "tool_call", "tool_result", "attachment"})


def _unmarked_conversation(data: Any) -> bool:
    """``{"messages": [...]}`` in our own message shape, without the ``composer`` header (a
    file written by hand or by another tool, or with the header stripped)."""
    if not isinstance(data, dict) or "composer" in data or "prompt" in data:
        return False
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        return False
    for m in messages:
        if not (isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("parts"), list)
                and "content" not in m):
            return False
        if not all(isinstance(p, dict) and isinstance(p.get("type"), str)
                   and p["type"] in _PART_TYPES for p in m["parts"]):
            return False
    return True


def detect(data: Any) -> float:
    if files.kind_of(data):
        return 1.0
    return 0.8 if _unmarked_conversation(data) else 0.0


def load(data: Any, source: str | None) -> Imported:
    if _unmarked_conversation(data):
        data = {**data, "composer": {"kind": "conversation",
                                     "format_version": CONVERSATION_VERSION}}
    doc = files.from_data(data, source)
    if isinstance(doc, Exchange):
        return Imported(doc.conversation())
    return Imported(doc)


def dump(conversation: Conversation) -> Exported:
    return Exported(files.dumps(conversation))


FORMAT = Format(
    name="composer",
    title="Composer conversation or exchange",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=load,
    dump=dump,
)
