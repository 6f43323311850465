"""How sure we are that parsed input is Gemini contents or a generateContent request body."""

from __future__ import annotations

from typing import Any

from composer.models.formats.base import sample
from composer.models.formats.gemini.wire import (
    _PART_KINDS,
    _get,
    _has,
)


def _looks_like_part(part: Any) -> bool:
    return isinstance(part, dict) and "type" not in part and any(
        _has(part, k) for k in (*_PART_KINDS, "thoughtSignature"))


def _looks_like_content(item: Any) -> bool:
    if not isinstance(item, dict) or not isinstance(item.get("parts"), list):
        return False
    if set(item) - {"role", "parts"}:
        return False
    role = item.get("role", "user")
    return role in ("user", "model", "function") and all(_looks_like_part(p) for p in item["parts"])


def detect(data: Any) -> float:
    if isinstance(data, dict):
        contents = _get(data, "contents")
        if not isinstance(contents, list) or "messages" in data:
            return 0.0
        if contents and all(isinstance(c, dict) and isinstance(c.get("parts"), list)
                            for c in sample(contents)):
            return 0.95
        return 0.5
    if isinstance(data, list) and data and all(_looks_like_content(c) for c in sample(data)):
        return 0.9
    return 0.0
