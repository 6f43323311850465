"""How sure we are that parsed input is OpenAI Responses input items or a Responses request body."""

from __future__ import annotations

from typing import Any

from composer.models.formats.base import sample
from composer.models.formats.openai_responses.wire import (
    CONTENT_TYPES,
    ITEM_TYPES,
)


def _looks_like_item(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    # robustness: a "type" that is not a string (a list is unhashable) is no item type
    if isinstance(item.get("type"), str) and item["type"] in ITEM_TYPES:
        return True
    content = item.get("content")
    return isinstance(content, list) and any(
        isinstance(c, dict) and isinstance(c.get("type"), str) and c["type"] in CONTENT_TYPES
        for c in content)


def detect(data: Any) -> float:
    if isinstance(data, dict):
        if "messages" in data or "contents" in data or "input" not in data:
            return 0.0
        items = data["input"]
        if isinstance(items, list) and any(_looks_like_item(i) for i in sample(items)):
            return 0.95
        if "model" in data and isinstance(items, str | list):
            return 0.85
        return 0.0
    if isinstance(data, list) and data and all(isinstance(i, dict) for i in sample(data)):
        if any(_looks_like_item(i) for i in sample(data)):
            return 0.85
    return 0.0
