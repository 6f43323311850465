"""What the Gemini import and export share: the metadata key and its internal entries, and
reading keys the API accepts in camelCase or snake_case."""

from __future__ import annotations

import re
from typing import Any

KEY = "gemini"
# Our own bookkeeping inside provider_metadata["gemini"]: never written onto a wire part.
_RESPONSE_KEY = "responseKey"
_RESPONSE_JSON = "responseJson"
_OUTCOME = "outcome"
# Which candidate of a reply (candidateCount > 1) a part came from; only the first one's parts
# continue the conversation.
CANDIDATE = "candidateIndex"
# ai.google.dev/gemini-api/docs/thought-signatures (FAQ): history the model did not produce may
# carry "context_engineering_is_the_way_to_go" or "skip_thought_signature_validator"; Vertex AI
# documents only the latter, so it is the one that works on both.
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
_SIGNING_MODEL = re.compile(r"(?:.*/)?gemini-(\d+)")
_INTERNAL = frozenset({_RESPONSE_KEY, _RESPONSE_JSON, _OUTCOME, CANDIDATE})

_PART_KINDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse",
               "executableCode", "codeExecutionResult")
_THINKING_LEVELS = ("minimal", "low", "medium", "high")
CODE_EXECUTION = "code_execution"

_MODES = {"AUTO": "auto", "NONE": "none", "ANY": "required"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _has(d: dict[str, Any], key: str) -> bool:
    return key in d or _snake(key) in d


def _get(d: dict[str, Any], key: str, default: Any = None) -> Any:
    """``d[key]`` by its camelCase or snake_case name."""
    if key in d:
        return d[key]
    return d.get(_snake(key), default)


def _pop(d: dict[str, Any], key: str) -> Any:
    value = d.pop(key, None)
    snake = d.pop(_snake(key), None)
    return value if value is not None else snake

def _include_thoughts(options: dict[str, Any]) -> bool | None:
    """What export writes as includeThoughts: on whenever thinking is asked for, so it streams."""
    budget = options.get("thinking_budget")
    if options.get("reasoning_effort") is not None or (budget is not None and budget != 0):
        return True
    return None
