"""Our own files: a conversation file, or an exchange file (opened with its reply appended)."""

from __future__ import annotations

from typing import Any

from composer.models import files
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange
from composer.models.formats.base import Exported, Format, Imported


def detect(data: Any) -> float:
    return 1.0 if files.kind_of(data) else 0.0


def load(data: Any, source: str | None) -> Imported:
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
