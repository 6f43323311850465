"""Problems with a conversation's settings, as typed data: which field, and what is wrong.

A problem names its field by ``Field``, never by display words, so each view decides where it
shows it (the request panel maps fields to its editors and tabs; the CLI prints ``line()``). The
enum's values are the words a one-line message starts with ("temperature: 9 is out of range").
"""

from __future__ import annotations

from enum import StrEnum

from msgspec import Struct

from composer.models.errors import ComposerError


class Field(StrEnum):
    """A setting (or the part of a request) a problem is about."""

    PROVIDER = "provider"
    BASE_URL = "base URL"
    API_KEY = "API key"
    MODEL = "model"
    MESSAGES = "messages"
    # The neutral options (settings.KNOWN_OPTIONS), named as they are stored.
    TEMPERATURE = "temperature"
    MAX_TOKENS = "max_tokens"
    TOP_P = "top_p"
    STOP = "stop"
    SEED = "seed"
    REASONING_EFFORT = "reasoning_effort"
    THINKING_BUDGET = "thinking_budget"
    PROMPT_CACHE_KEY = "prompt_cache_key"
    OPTIONS = "options"  # an option with no field of its own (a provider's raw one)
    TOOLS = "tools"
    TOOL_CHOICE = "tool_choice"
    RESPONSE_SCHEMA = "response schema"
    EXTRA_BODY = "extra body"
    HEADERS = "extra headers"
    VARIABLES = "variables"

    @classmethod
    def named(cls, name: str | Field | None) -> Field | None:
        """The field a name stands for: a member's value or an option's stored name; an
        unknown option name is ``OPTIONS``."""
        if name is None or isinstance(name, Field):
            return name
        try:
            return cls(name)
        except ValueError:
            pass
        aliases = {"response_schema": cls.RESPONSE_SCHEMA, "extra_body": cls.EXTRA_BODY,
                   "headers": cls.HEADERS}
        return aliases.get(name, cls.OPTIONS)


class Problem(Struct, frozen=True):
    """What is wrong with one field. ``text`` does not repeat the field's name; ``line()``
    prefixes it, so the message reads the same in the window and on the command line."""

    field: Field
    text: str

    def line(self) -> str:
        return f"{self.field}: {self.text}"


class SettingsError(ComposerError, ValueError):
    """A setting's value that does not parse or is out of range; carries its ``Problem``."""

    def __init__(self, field: Field, text: str):
        self.problem = Problem(field, text)
        super().__init__(self.problem.line())
