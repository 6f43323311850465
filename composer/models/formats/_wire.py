"""What the four wire formats (request bodies) share when writing: merging ``extra_body``,
tool-call arguments, writing a body."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from composer.models.formats.base import Exported, Loss
from composer.models.parts import ToolCallPart

# Top-level lists that extra_body adds to instead of replacing: hosted tools beside ours,
# extra ``include`` entries beside the ones reasoning replay needs.
APPENDED_LISTS = ("tools", "include")

def merge_extra(body: dict[str, Any], extra: dict[str, Any], *, top: bool = True) -> dict[str, Any]:
    """Merge the user's raw ``extra_body`` into a built body, last, and return the body.

    Objects merge key by key (nested ones are copied first, so nothing the body shares with
    the settings is changed), ``None`` deletes a key, top-level ``tools``/``include`` lists
    are appended to, anything else replaces.
    """
    for key, value in extra.items():
        here = body.get(key)
        if value is None:
            body.pop(key, None)
        elif isinstance(value, dict) and isinstance(here, dict):
            body[key] = merge_extra(dict(here), value, top=False)
        elif top and key in APPENDED_LISTS and isinstance(value, list) and isinstance(here, list):
            body[key] = here + [v for v in value if v not in here]
        else:
            body[key] = value
    return body


def looks_base64(data: str) -> bool:
    """Whether inline file data reads as base64; only its head is checked, a file can be big."""
    head = data[:4096]
    try:
        base64.b64decode(head[:len(head) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def arguments_text(part: ToolCallPart, **dumps: Any) -> str:
    """A tool call's arguments as JSON text for the wire: the raw text kept for arguments that
    did not parse (``{"composer": {"raw_arguments"}}``) while none were entered since, else the
    arguments dumped with ``dumps`` options."""
    raw = ((part.provider_metadata or {}).get("composer") or {}).get("raw_arguments")
    if isinstance(raw, str) and not part.arguments:
        return raw
    return json.dumps(part.arguments, ensure_ascii=False, **dumps)


def dump_body(body: dict[str, Any], losses: list[Loss]) -> Exported:
    return Exported(json.dumps(body, ensure_ascii=False, indent=2) + "\n", losses)
