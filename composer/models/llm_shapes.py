"""Provider metadata in the shapes llm's plugins use, on the way out to llm and back.

Most of it is one shape on both sides: ``{"anthropic": {"signature"}}``, ``{"anthropic":
{"type": "redacted_thinking", "data"}}``, ``{"gemini": {"thoughtSignature"}}``, ``{"openai":
{"id", "encrypted_content", "summary"}}``. One differs: llm-gemini keeps a server-executed
part (code execution) as the native Gemini part, ``{"gemini": {"part": {...}}}``, and replays
that; we keep the call's code as its arguments and the result's output as text. ``to_llm`` adds
the native part to our message dicts (nothing of ours is changed, so llm-gemini can continue
the conversation), and ``from_llm`` reads it back into our shape and removes it, so it never
reaches the wire as a stray key. Both work on message dicts (``Message.to_dict()``).
"""

from __future__ import annotations

import copy
from typing import Any

_GEMINI = "gemini"
_CODE = "code_execution"
_OURS_ONLY = frozenset({"outcome", "responseKey", "responseJson"})  # never on a wire part


def _gemini_meta(part: dict[str, Any]) -> dict[str, Any] | None:
    meta = (part.get("provider_metadata") or {}).get(_GEMINI)
    return meta if isinstance(meta, dict) else None


def _native(part: dict[str, Any]) -> dict[str, Any] | None:
    """The native Gemini part for our code-execution call or result, or None."""
    if not (part.get("server_executed") and part.get("name") == _CODE):
        return None
    meta = _gemini_meta(part) or {}
    extra = {k: v for k, v in meta.items() if k not in _OURS_ONLY and k != "part"}
    if part.get("type") == "tool_call" and isinstance(part.get("arguments"), dict):
        return {"executableCode": copy.deepcopy(part["arguments"]), **extra}
    if part.get("type") == "tool_result":
        result: dict[str, Any] = {"output": part.get("output", "")}
        if meta.get("outcome") is not None:
            result = {"outcome": meta["outcome"], **result}
        return {"codeExecutionResult": result, **extra}
    return None


def to_llm(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Message dicts with llm-gemini's native part added where it keeps one."""
    out = []
    for message in messages:
        parts = []
        for part in message.get("parts") or []:
            native = _native(part) if isinstance(part, dict) else None
            if native is not None and "part" not in (_gemini_meta(part) or {}):
                meta = dict(part.get("provider_metadata") or {})
                meta[_GEMINI] = {**(_gemini_meta(part) or {}), "part": native}
                part = {**part, "provider_metadata": meta}
            parts.append(part)
        out.append({**message, "parts": parts})
    return out


def _from_native(part: dict[str, Any], native: dict[str, Any]) -> dict[str, Any]:
    meta = dict(part.get("provider_metadata") or {})
    ours = {k: v for k, v in (_gemini_meta(part) or {}).items() if k != "part"}
    code, result = native.get("executableCode"), native.get("codeExecutionResult")
    ours.update({k: v for k, v in native.items()
                 if k not in ("executableCode", "codeExecutionResult")})
    part = dict(part)
    if part.get("type") == "tool_call" and isinstance(code, dict):
        part["arguments"] = part.get("arguments") or copy.deepcopy(code)
    elif part.get("type") == "tool_result" and isinstance(result, dict):
        part["output"] = result.get("output") if isinstance(result.get("output"), str) else ""
        if result.get("outcome") is not None:
            ours["outcome"] = result["outcome"]
    else:  # another server tool (search...): its native part stays for llm; we do not send it
        return part
    meta[_GEMINI] = ours
    part["provider_metadata"] = {k: v for k, v in meta.items() if v} or None
    return part


def from_llm(messages: Any) -> Any:
    """Message dicts read from llm with llm-gemini's native parts turned into our shape."""
    if not isinstance(messages, list):
        return messages
    out = []
    for message in messages:
        if not (isinstance(message, dict) and isinstance(message.get("parts"), list)):
            out.append(message)
            continue
        parts = []
        for part in message["parts"]:
            native = (_gemini_meta(part) or {}).get("part") if isinstance(part, dict) else None
            if isinstance(native, dict) and part.get("server_executed"):
                part = _from_native(part, native)
            parts.append(part)
        out.append({**message, "parts": parts})
    return out
