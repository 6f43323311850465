"""What the Chat Completions import and export share: the metadata key and small helpers."""

from __future__ import annotations

from typing import Any

NAME = "openai-chat"
META = "openai-chat"
DEFAULT_SCHEMA_NAME = "response"


def fields(d: dict, *known: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in known}


def fields_meta(extra: dict[str, Any]) -> dict[str, Any] | None:
    return {META: {"fields": extra}} if extra else None


def thinking_text(chunks: Any) -> str:
    """The text of a Mistral ``thinking`` chunk's inner list (or a bare string)."""
    if isinstance(chunks, str):
        return chunks
    if not isinstance(chunks, list):
        return ""
    return "".join(c["text"] for c in chunks
                   if isinstance(c, dict) and isinstance(c.get("text"), str))
