"""How sure we are that parsed input is OpenAI Chat messages or a Chat request body."""

from __future__ import annotations

from typing import Any

from composer.models.formats.base import sample

_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_CHAT_ONLY_PART_TYPES = frozenset({"image_url", "input_audio", "file"})
_FOREIGN_PART_TYPES = frozenset({"image", "document", "tool_use", "tool_result", "thinking",
                                 "redacted_thinking", "input_text", "input_image", "input_file",
                                 "output_text", "function_call", "function_call_output"})
_CHAT_ONLY_BODY_KEYS = frozenset({"stream_options", "response_format", "max_completion_tokens",
                                  "reasoning_effort", "frequency_penalty", "presence_penalty",
                                  "logit_bias", "n", "logprobs", "top_logprobs", "seed",
                                  "parallel_tool_calls", "modalities", "audio"})
_FOREIGN_BODY_KEYS = frozenset({"system", "contents", "input", "anthropic_version",
                                "generationConfig", "systemInstruction"})


def _message_score(messages: list[Any]) -> float:
    """0 when a list is not Chat messages; 0.6 when it could be several formats; 0.9 when sure."""
    if not messages:
        return 0.0
    sure = False
    for m in sample(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return 0.0
        if "parts" in m or "type" in m or m["role"] == "model":
            return 0.0
        role = m["role"]
        if role not in ("system", "developer", "user", "assistant", "tool", "function"):
            return 0.0
        content = m.get("content")
        if isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    return 0.0
                kind = part.get("type")
                if not isinstance(kind, str):  # robustness: a list here is unhashable
                    return 0.0
                if kind == "thinking" and isinstance(part.get("thinking"), list):
                    sure = True  # Mistral's reasoning chunk (Anthropic's holds a string)
                    continue
                if kind in _FOREIGN_PART_TYPES or kind not in _PART_TYPES:
                    return 0.0
                if kind in _CHAT_ONLY_PART_TYPES:
                    sure = True
        elif content is None:
            if not (role == "assistant" and ("tool_calls" in m or "reasoning_content" in m)):
                return 0.0
        elif not isinstance(content, str):
            return 0.0
        if role in ("developer", "tool") or "tool_calls" in m or "tool_call_id" in m:
            sure = True
        if "reasoning_content" in m or "reasoning_details" in m:
            sure = True
    return 0.9 if sure else 0.6


def detect(data: Any) -> float:
    if isinstance(data, list):
        return _message_score(data)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return 0.0
    if _FOREIGN_BODY_KEYS & data.keys() or "composer" in data:
        return 0.0
    score = _message_score(data["messages"])
    if score == 0:
        return 0.0
    if isinstance(data.get("model"), str):
        score += 0.05
    if _CHAT_ONLY_BODY_KEYS & data.keys():
        score = max(score, 0.9)
    tools = data.get("tools")
    if isinstance(tools, list) and tools and all(
            isinstance(t, dict) and t.get("type") == "function" and "function" in t for t in tools):
        score = max(score, 0.9)
    return min(score, 0.95)
