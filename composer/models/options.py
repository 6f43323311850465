"""The neutral request options as typed data: each one's parser, range and text form.

One parser per option reads the text a user typed (a field of the request panel, or the VALUE
of ``send -o KEY VALUE``); an empty text means "not sent"; a bad one raises SettingsError with
the same one line in the window and on the command line. ``read_options`` reads a whole set of
fields at once, keeping an option's last good value beside the problems found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from msgspec import Struct

from composer.models import jsontext
from composer.models.problems import Field, Problem, SettingsError
from composer.models.settings import KNOWN_OPTIONS, RequestSettings

# What the request panel offers; the parser also takes the values some providers add.
REASONING_EFFORTS = ("", "minimal", "low", "medium", "high")
KNOWN_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


class NumberRange(Struct, frozen=True):
    """A numeric option: whole or not, and its bounds (None: unbounded on that side)."""

    kind: type
    lo: float | None = None
    hi: float | None = None

    def parse(self, field: Field, text: str) -> int | float | None:
        text = text.strip()
        if not text:
            return None
        try:
            value = self.kind(text)
        except ValueError:
            what = "a whole number" if self.kind is int else "a number"
            raise SettingsError(field, f"{text!r} is not {what}") from None
        if value != value:  # NaN passes every comparison below
            raise SettingsError(field, f"{text!r} is not a number")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            span = f"{self.lo}..{self.hi}" if self.hi is not None else f">= {self.lo}"
            raise SettingsError(field, f"{text} is out of range ({span})")
        return value


NUMBERS: dict[Field, NumberRange] = {
    Field.TEMPERATURE: NumberRange(float, 0, 2),
    Field.MAX_TOKENS: NumberRange(int, 1),
    Field.TOP_P: NumberRange(float, 0, 1),
    Field.SEED: NumberRange(int),
    Field.THINKING_BUDGET: NumberRange(int, 0),
}


def parse_stop(text: str) -> list[str] | None:
    """A JSON array of strings, or else the text itself as the one stop sequence."""
    if not text:
        return None
    if not text.lstrip().startswith("["):
        return [text]
    try:
        value, _ = jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        raise SettingsError(Field.STOP, f"invalid JSON array: {exc.msg} at column {exc.column}"
                            ) from None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise SettingsError(Field.STOP, "every stop sequence must be a string")
    return value or None


def parse_effort(text: str) -> str | None:
    """A reasoning effort word (low, medium, high...); '' means not sent."""
    text = text.strip()
    if not text:
        return None
    if text not in KNOWN_EFFORTS:
        raise SettingsError(Field.REASONING_EFFORT,
                            f"{text!r} is not one of {', '.join(KNOWN_EFFORTS)}")
    return text


def parse_cache_key(text: str) -> str | None:
    """OpenAI's ``prompt_cache_key``: any text, sent as it is; '' means not sent."""
    text = text.strip()
    if len(text) > 1024:
        raise SettingsError(Field.PROMPT_CACHE_KEY, f"is {len(text):,} characters long; a "
                            "cache key is a short label")
    return text or None


def _number_parser(field: Field) -> Callable[[str], Any]:
    return lambda text: NUMBERS[field].parse(field, text)


PARSERS: dict[str, Callable[[str], Any]] = {
    "temperature": _number_parser(Field.TEMPERATURE),
    "max_tokens": _number_parser(Field.MAX_TOKENS),
    "top_p": _number_parser(Field.TOP_P),
    "stop": parse_stop,
    "seed": _number_parser(Field.SEED),
    "reasoning_effort": parse_effort,
    "thinking_budget": _number_parser(Field.THINKING_BUDGET),
    "prompt_cache_key": parse_cache_key,
}
assert tuple(PARSERS) == KNOWN_OPTIONS


def parse_option(name: str, text: str) -> Any:
    """The value of the neutral option ``name`` typed as ``text``; None means not sent."""
    return PARSERS[name](text)


def option_text(name: str, value: Any) -> str:
    """An option's value as its field shows it (the inverse of ``parse_option``)."""
    if value is None:
        return ""
    if name == "stop":
        if isinstance(value, str):
            value = [value]
        # One sequence shows as itself, unless it would read back as a JSON array.
        if (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
                and not value[0].lstrip().startswith("[")):
            return value[0]
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


def read_options(current: Mapping[str, Any],
                 texts: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """``current`` options with each of ``texts`` (option name → typed text) read in: an empty
    text removes the option, a bad one keeps its last good value and adds a Problem."""
    options = dict(current)
    problems = []
    for name, text in texts.items():
        try:
            value = parse_option(name, text)
        except SettingsError as exc:
            problems.append(exc.problem)
            continue
        if value is None:
            options.pop(name, None)
        else:
            options[name] = value
    return options, problems


def option_problems(options: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with stored options (a file's, or ones set in code): each neutral option's
    value read back through its parser, so the range and the message are the same."""
    problems = []
    for name, value in options.items():
        if name not in PARSERS or value is None:
            continue
        if isinstance(value, bool) or (name != "stop" and isinstance(value, list | dict)):
            problems.append(Problem(Field(name), f"{json.dumps(value)} is not a single value"))
            continue
        try:
            parse_option(name, option_text(name, value))
        except SettingsError as exc:
            problems.append(exc.problem)
    return problems


def raw_value(text: str) -> Any:
    """A provider's own field as typed: ``0.2`` → 0.2, ``true`` → True, ``["a"]`` → list;
    anything else stays a string."""
    try:
        return jsontext.loads(text)[0]
    except jsontext.JSONTextError:  # also 100 levels deep or a 5,000-digit number: text
        return text


def apply_option(settings: RequestSettings, name: str, text: str) -> None:
    """``send -o NAME TEXT``: a neutral option through its parser (SettingsError when bad),
    anything else sent as the provider's own body field, as it is."""
    if name in PARSERS:
        value = parse_option(name, text)
        if value is None:
            settings.options.pop(name, None)
        else:
            settings.options[name] = value
    else:
        settings.extra_body[name] = raw_value(text)
