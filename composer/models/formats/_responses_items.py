"""Responses items and what import, export and the stream parser share about them.

``need`` checks a JSON value's type with one FormatError at its location; reasoning items keep
their fields verbatim so export rebuilds them.
"""

from __future__ import annotations

from typing import Any

from composer.models.errors import FormatError
from composer.models.formats._wire import json_kind

KEY = "openai"

ITEM_TYPES = frozenset({
    "message", "function_call", "function_call_output", "reasoning", "item_reference",
    "web_search_call", "file_search_call", "computer_call", "computer_call_output",
    "image_generation_call", "code_interpreter_call", "local_shell_call",
    "local_shell_call_output", "mcp_call", "mcp_list_tools", "mcp_approval_request",
    "mcp_approval_response", "custom_tool_call", "custom_tool_call_output",
})
CONTENT_TYPES = frozenset({"input_text", "input_image", "input_file", "input_audio",
                           "output_text", "refusal"})
# Body keys mapped to neutral settings; everything else goes to extra_body untouched.

def need(value: Any, kind: type | tuple[type, ...], what: str, loc: str) -> Any:
    """``value`` when it has the JSON type ``kind``; else a FormatError at ``loc``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        want = " or ".join(dict.fromkeys(json_kind(k()) for k in kinds))
        raise FormatError(f"{what} is {json_kind(value)}, expected {want}", location=loc)
    return value


def reasoning_text(item: dict[str, Any]) -> str:
    """A reasoning item's readable text: its summaries, else its raw reasoning content."""
    for field in ("summary", "content"):
        entries = item.get(field)
        if isinstance(entries, list):
            texts = [e["text"] for e in entries if isinstance(e, dict)
                     and isinstance(e.get("text"), str)]
            if texts:
                return "\n\n".join(texts)
    return ""


def reasoning_metadata(item: dict[str, Any]) -> dict[str, Any]:
    """What a reasoning part keeps of its item so that export rebuilds the item verbatim."""
    meta = {k: v for k, v in item.items() if k != "type"}
    summary = meta.get("summary")
    if isinstance(summary, list) and len(summary) <= 1 and all(
            isinstance(s, dict) and set(s) <= {"type", "text"} and s.get("type") == "summary_text"
            for s in summary):
        if not summary or summary[0].get("text") == reasoning_text(item):
            del meta["summary"]
    return meta
