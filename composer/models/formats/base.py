"""What every conversation format module provides, and the result of an import or export.

A format module defines one ``Format`` instance named ``FORMAT``:

- ``detect(data)`` says how sure it is (0 = not this format, 1 = certain) that parsed input is
  its own; ``data`` is the parsed JSON value, or the raw text for text formats (``binary`` formats
  get the path).
- ``load(data, source)`` returns an ``Imported``: the conversation plus a list of what was lossy
  or dropped, or raises one ``FormatError`` naming source, location (JSON path or line) and the
  problem. It never half-applies and never raises anything else.
- ``dump(conversation)`` returns an ``Exported``: the text to write plus what the format could
  not hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from composer.models.conversation import Conversation


@dataclass
class Imported:
    conversation: Conversation
    losses: list[str] = field(default_factory=list)


@dataclass
class Exported:
    text: str
    losses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    name: str  # the --from/--to name, e.g. "openai-chat"
    title: str  # for menus, e.g. "OpenAI Chat Completions (messages or request body)"
    extensions: tuple[str, ...]  # e.g. (".json",); the first is the default for export
    # "json": load/detect get the parsed JSON value; "text": the raw text; "binary": the path.
    input_kind: str
    detect: Callable[[Any], float] | None
    load: Callable[[Any, str | None], Imported] | None
    dump: Callable[[Conversation], Exported] | None
