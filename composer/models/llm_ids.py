"""How ``llm`` and its plugins name our models and options, both ways.

``llm`` knows a model by its own id — the API id for OpenAI (``gpt-4o``), ``anthropic/<id>``
with llm-anthropic, ``gemini/<id>`` with llm-gemini — and validates ``prompt.options`` against
that model's ``Options`` class, which forbids unknown keys. We send neutral options (see
settings.py). These tables map one to the other, per plugin family, checked against llm 0.36,
llm-anthropic 0.30 and llm-gemini 0.35 (tests/test_llm_compat.py checks every model those
packages register). Nothing here imports ``llm``.

An option one side has and the other has not is never silently renamed: ``to_llm_options``
leaves it out of llm's options (our own copy stays in the file's ``composer.settings``), and
``from_llm_options`` returns it as unmapped so the importer can report it and not send it.
"""

from __future__ import annotations

import re
from typing import Any

OPENAI, ANTHROPIC, GEMINI = "openai", "anthropic", "gemini"
_FAMILY = {"openai-chat": OPENAI, "openai-responses": OPENAI, "anthropic": ANTHROPIC,
           "gemini": GEMINI}
_PREFIX = {ANTHROPIC: "anthropic/", GEMINI: "gemini/"}

# OpenAI models llm serves through its Responses class: only these take reasoning_effort.
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-[5-9])")
_OPENAI_EFFORTS = frozenset({"none", "minimal", "low", "medium", "high", "xhigh", "max"})
# OpenAI options llm and the Chat wire name alike, so they pass through unchanged.
_OPENAI_SAME = ("temperature", "top_p", "max_tokens", "seed", "frequency_penalty",
                "presence_penalty", "logit_bias", "service_tier")

_CLAUDE = re.compile(r"^claude-(?P<name>[a-z]+)-(?P<major>\d+)(?:-(?P<minor>\d{1,2}))?(?:-|$)")
_CLAUDE_EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
DEFAULT_THINKING_TOKENS = 1024  # llm-anthropic's budget when its `thinking` option is true

_GEMINI_BUDGET = re.compile(r"^gemini-(2\.5-|flash-(lite-)?latest)")
_GEMINI_LEVELS = re.compile(r"^gemini-([3-9])")
_GEMINI_LEVEL_VALUES = frozenset({"low", "medium", "high"})


def family(protocol: str | None) -> str | None:
    """The llm plugin family for one of our protocol names, or None."""
    return _FAMILY.get(protocol or "")


def to_llm_model(protocol: str | None, api_model: str) -> str:
    """The id llm knows ``api_model`` by, for a request sent with ``protocol``."""
    prefix = _PREFIX.get(family(protocol) or "", "")
    if not api_model or api_model.startswith(prefix):
        return api_model
    return prefix + api_model


def from_llm_model(llm_model: str) -> tuple[str | None, str]:
    """(our protocol or None when unknown, the API id) for an llm model id."""
    for fam, prefix in _PREFIX.items():
        if llm_model.startswith(prefix):
            return fam, llm_model[len(prefix):]
    if _OPENAI_REASONING.match(llm_model):
        return "openai-responses", llm_model
    if llm_model.startswith(("gpt-", "chatgpt-")):
        return "openai-chat", llm_model
    return None, llm_model


def _claude_thinks(model: str) -> tuple[bool, bool]:
    """(takes llm-anthropic's `thinking`, takes its `thinking_effort`) for a Claude API id."""
    if "mythos" in model:
        return True, True
    if model.startswith("claude-3-"):
        return model.startswith("claude-3-7"), False
    m = _CLAUDE.match(model)
    if m is None:
        return True, False
    major, minor = int(m["major"]), int(m["minor"] or 0)
    effort = major >= 5 or (major == 4 and (
        (m["name"] == "opus" and minor >= 5) or (m["name"] == "sonnet" and minor >= 6)))
    return True, effort


def _stop_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    return None


def to_llm_options(protocol: str | None, api_model: str,
                   options: dict[str, Any]) -> dict[str, Any]:
    """``options`` under the names and types llm's options for that model accept."""
    fam = family(protocol)
    out: dict[str, Any] = {}
    opts = {k: v for k, v in options.items() if v is not None}
    if fam == OPENAI:
        for key in _OPENAI_SAME:
            if key in opts:
                out[key] = opts[key]
        stops = _stop_list(opts.get("stop"))
        if stops is not None and len(stops) == 1:  # llm's `stop` is one string
            out["stop"] = stops[0]
        effort = opts.get("reasoning_effort")
        if _OPENAI_REASONING.match(api_model) and effort in _OPENAI_EFFORTS:
            out["reasoning_effort"] = effort
    elif fam == ANTHROPIC:
        for key in ("max_tokens", "temperature", "top_p", "top_k"):
            if key in opts:
                out[key] = opts[key]
        if "temperature" in out:  # llm-anthropic refuses both at once
            out.pop("top_p", None)
        stops = _stop_list(opts.get("stop"))
        if stops:
            out["stop_sequences"] = stops
        thinking, effort_ok = _claude_thinks(api_model)
        budget = opts.get("thinking_budget")
        if thinking and isinstance(budget, int) and budget > 0:
            out["thinking"] = True
        effort = opts.get("reasoning_effort")
        if effort_ok and effort in _CLAUDE_EFFORTS:
            out["thinking_effort"] = effort
    elif fam == GEMINI:
        for key in ("temperature", "top_p", "top_k"):
            if key in opts:
                out[key] = opts[key]
        if "max_tokens" in opts:
            out["max_output_tokens"] = opts["max_tokens"]
        if "thinking_budget" in opts and _GEMINI_BUDGET.match(api_model):
            out["thinking_budget"] = opts["thinking_budget"]
        effort = opts.get("reasoning_effort")
        if _GEMINI_LEVELS.match(api_model) and effort in _GEMINI_LEVEL_VALUES:
            out["thinking_level"] = effort
    else:  # a model of no family we know: our names are the best guess at llm's
        out = opts
    return out


# llm option name -> our option name, per family; a value needing more than a rename is
# handled in from_llm_options.
_FROM = {
    OPENAI: {k: k for k in (*_OPENAI_SAME, "stop", "reasoning_effort")},
    ANTHROPIC: {"max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p",
                "top_k": "top_k", "stop_sequences": "stop",
                "thinking_effort": "reasoning_effort"},
    GEMINI: {"temperature": "temperature", "top_p": "top_p", "top_k": "top_k",
             "max_output_tokens": "max_tokens", "thinking_budget": "thinking_budget",
             "thinking_level": "reasoning_effort"},
}


_SHARED = {k: k for k in ("temperature", "max_tokens", "top_p", "seed", "stop")}


def from_llm_options(protocol: str | None,
                     options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(our options, llm options with no mapping, notes) for options read from an llm file.

    With no known family only the names llm's plugins share with us (temperature, max_tokens,
    top_p, seed, stop) are taken; anything else reaching the wire under llm's name for an unknown
    plugin's option would be a guess.
    """
    fam = family(protocol)
    table = _FROM.get(fam or "", _SHARED)
    ours: dict[str, Any] = {}
    unmapped: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        if fam == ANTHROPIC and key == "thinking":
            if value is True:
                ours["thinking_budget"] = DEFAULT_THINKING_TOKENS
                notes.append(f"llm option thinking: true became thinking_budget "
                             f"{DEFAULT_THINKING_TOKENS} (llm-anthropic's default budget)")
            elif value is not False:
                unmapped[key] = value
            continue
        if key == "stop_sequences" and fam == ANTHROPIC and isinstance(value, str):
            value = [value]
        if key in table:
            ours[table[key]] = value
        else:
            unmapped[key] = value
    return ours, unmapped, notes
