"""Variables: ``{{name}}`` in a text part, filled in from a case or the variables panel.

A name is a letter or ``_`` then letters, digits, ``_``, ``.`` or ``-``; spaces inside the
braces are allowed (``{{ name }}``). ``{{{{`` writes a literal ``{{``. Variables are found in
every text and reasoning part of every row, in tool results' output, in tool descriptions and in
the response schema's strings; ``fill`` replaces them all and refuses (naming the variable and
where it is) when a value is missing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.models.parts import Message
from composer.models.settings import RequestSettings

# ``{{{{`` first, so an escaped pair never starts a variable.
_TOKEN = re.compile(r"\{\{\{\{|\{\{\s*([A-Za-z_][\w.\-]*)\s*\}\}")


class MissingVariables(ComposerError):
    """Variables without a value; ``missing`` maps each name to where it is used."""

    def __init__(self, missing: dict[str, list[str]], first_row: int | None = None):
        self.missing = missing
        self.first_row = first_row  # the 0-based row of the first use, when it is in a row
        described = "; ".join(f"{{{{{name}}}}} in {', '.join(places)}"
                              for name, places in missing.items())
        noun = "variable has" if len(missing) == 1 else "variables have"
        super().__init__(f"{len(missing)} {noun} no value: {described}")


def names_in_text(text: str) -> list[str]:
    """The variable names in ``text``, in order of first use."""
    if "{{" not in text:  # nearly every text: found by a byte search, not the regex
        return []
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        if match.group(1):
            seen.setdefault(match.group(1), None)
    return list(seen)


def fill_text(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each variable replaced by its value (a missing one is left as written) and
    each ``{{{{`` by ``{{``."""
    if "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "{{"
        return str(values[name]) if name in values else match.group(0)

    return _TOKEN.sub(replace, text)


def _walk_strings(value: Any, fill: Any) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_walk_strings(v, fill) for v in value]
    if isinstance(value, dict):
        return {k: _walk_strings(v, fill) for k, v in value.items()}
    return value


def _places(conversation: Conversation) -> Iterator[tuple[str, str]]:
    """(where, text) for every string a variable may sit in."""
    for row, message in enumerate(conversation.messages, start=1):
        for part in message.parts:
            for text in _texts(part):
                yield f"row {row}", text
    yield from _settings_places(conversation.settings)


def _settings_places(settings: RequestSettings) -> Iterator[tuple[str, str]]:
    for tool in settings.tools:
        if tool.description:
            yield f"tool {tool.name}", tool.description
    if settings.response_schema:
        found: list[str] = []
        _walk_strings(settings.response_schema, lambda s: found.append(s) or s)
        for text in found:
            yield "response schema", text


@functools.cache
def _text_fields(kind: type) -> tuple[str, ...]:
    """Which of a part type's fields hold text a variable may sit in: a text's or reasoning's
    ``text``, a tool result's ``output``. (Asked per type: ``getattr`` of a field a part has
    not goes through Value.__getattr__ and an AttributeError, ~4 µs a part of a big find.)"""
    return tuple(name for name in ("text", "output") if name in kind.__struct_fields__)


def _texts(part: Any) -> Iterator[str]:
    """A part's texts a variable may sit in."""
    for attr in _text_fields(type(part)):
        text = getattr(part, attr)
        if isinstance(text, str):
            yield text


def _message_names(message: Message) -> tuple[str, ...]:
    """The variable names in a message's texts, in order of first use."""
    names: dict[str, None] = {}
    for part in message.parts:
        for text in _texts(part):
            names.update(dict.fromkeys(names_in_text(text)))
    return tuple(names)


def _first_row(conversation: Conversation, names: Iterable[str]) -> int | None:
    wanted = set(names)
    for row, message in enumerate(conversation.messages):
        if wanted.intersection(_message_names(message)):
            return row
    return None


class Finder:
    """``find`` for a conversation that changes an edit at a time (the variables panel): a
    message the last find read is not read again, as an edit replaces a message and never
    changes one in place (a 10,000-row conversation's texts took ~55 ms to read)."""

    def __init__(self) -> None:
        self._read: dict[int, tuple[Message, tuple[str, ...]]] = {}

    def unread(self, conversation: Conversation, limit: int) -> int:
        """How many of ``conversation``'s messages ``find`` would read (counted up to
        ``limit``)."""
        count = 0
        for message in conversation.messages:
            if self._known(message) is None:
                count += 1
                if count >= limit:
                    break
        return count

    def _known(self, message: Message) -> tuple[Message, tuple[str, ...]] | None:
        """What the last find read of ``message``, if it read this very message."""
        known = self._read.get(id(message))
        return known if known is not None and known[0] is message else None

    def find(self, conversation: Conversation) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        read: dict[int, tuple[Message, tuple[str, ...]]] = {}
        for row, message in enumerate(conversation.messages, start=1):
            known = self._known(message) or (message, _message_names(message))
            read[id(message)] = known
            for name in known[1]:
                out.setdefault(name, []).append(f"row {row}")
        self._read = read
        for where, text in _settings_places(conversation.settings):
            for name in names_in_text(text):
                places = out.setdefault(name, [])
                if where not in places:
                    places.append(where)
        return out


def find(conversation: Conversation) -> dict[str, list[str]]:
    """Every variable used in ``conversation`` (in order of first use) and where: ``row 3``,
    ``tool get_weather``, ``response schema``."""
    return Finder().find(conversation)


def missing(conversation: Conversation, values: Mapping[str, str]) -> dict[str, list[str]]:
    """The variables of ``conversation`` that ``values`` gives no value for, and where."""
    return {name: places for name, places in find(conversation).items() if name not in values}


def fill(conversation: Conversation, values: Mapping[str, str]) -> Conversation:
    """``conversation`` with every variable filled in; MissingVariables when one has no value.
    A conversation without variables (or escapes) comes back as the same object."""
    if not any("{{" in text for _, text in _places(conversation)):
        return conversation
    if gaps := missing(conversation, values):
        raise MissingVariables(gaps, _first_row(conversation, gaps))
    return fill_known(conversation, values)


def fill_known(conversation: Conversation, values: Mapping[str, str]) -> Conversation:
    """``conversation`` with the variables ``values`` has filled in; the others (and escapes
    next to them) stay as written."""
    def fill_str(text: str) -> str:
        return fill_text(text, values)

    messages = []
    for message in conversation.messages:
        parts, changed = [], False
        for part in message.parts:
            update = {attr: fill_str(text) for attr in _text_fields(type(part))
                      if isinstance(text := getattr(part, attr), str) and "{{" in text}
            if update:
                part, changed = part.model_copy(update=update), True
            parts.append(part)
        # A message without variables is sent as it is (a copy each, of 10,000, held Send
        # ~0.5 s): none is ever changed in place.
        messages.append(message.model_copy(update={"parts": parts}) if changed else message)
    settings = conversation.settings
    tools = [t.model_copy(update={"description": fill_str(t.description)}) if t.description else t
             for t in settings.tools]
    schema = (_walk_strings(settings.response_schema, fill_str)
              if settings.response_schema else settings.response_schema)
    settings = settings.model_copy(update={"tools": tools, "response_schema": schema})
    return conversation.model_copy(update={"messages": messages, "settings": settings})
