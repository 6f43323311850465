"""How sure we are that parsed input is Anthropic messages or a Messages request body."""

from __future__ import annotations

from typing import Any

from composer.models.formats.base import sample

# Block types only Anthropic uses; how detect() tells its messages from other formats'.
_OWN_BLOCKS = frozenset({
    "tool_use", "tool_result", "thinking", "redacted_thinking", "server_tool_use", "document",
    "web_search_tool_result", "web_fetch_tool_result", "search_result",
})


def _block_score(messages: list[Any]) -> float:
    """1 when some content block is Anthropic-typed, 0.5 for plain role/content, 0 otherwise."""
    own = False
    for m in sample(messages):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            return 0.0
        content = m.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            return 0.0
        for b in content:
            if not isinstance(b, dict):
                return 0.0
            kind = b.get("type")
            if not isinstance(kind, str):
                return 0.0
            if kind in _OWN_BLOCKS or (kind == "image" and isinstance(b.get("source"), dict)):
                own = True
            elif kind in ("image_url", "input_audio", "file", "input_text", "output_text",
                          "input_image", "refusal"):
                return 0.0
    return 1.0 if own else 0.5


def detect(data: Any) -> float:
    if isinstance(data, list):
        if not data:
            return 0.0
        return 0.9 if _block_score(data) == 1.0 else 0.0
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return 0.0
    if any(k in data for k in ("composer", "prompt", "contents", "input")):
        return 0.0
    score = _block_score(data["messages"])
    if score == 0.0:
        return 0.0
    if "anthropic_version" in data:
        return 0.95
    system = data.get("system")
    if isinstance(system, str) or (isinstance(system, list) and system
                                   and all(isinstance(b, dict) for b in system)):
        return 0.9
    if score == 1.0:
        return 0.9
    tools = data.get("tools")
    if isinstance(tools, list) and tools and all(
            isinstance(t, dict) and ("input_schema" in t or str(t.get("type", "")).endswith(
                tuple("0123456789"))) for t in tools):
        # Anthropic tools carry input_schema (custom) or a dated type (web_search_20250305).
        return 0.9
    choice = data.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return 0.9
    if isinstance(data.get("thinking"), dict) or "stop_sequences" in data:
        return 0.8
    # Plain role/content messages with max_tokens: could be OpenAI Chat as well.
    return 0.2 if "max_tokens" in data else 0.0
