"""Function and custom tools as the tools editor writes them: checks and display form.

A function tool takes JSON arguments under a JSON Schema (``strict`` toggles the provider's
strict schema mode, off unless set); a custom tool (``{"type": "custom"}``) takes free-form
text, maybe shaped by a ``format`` grammar, and has no schema.
"""

from __future__ import annotations

from typing import Any

from composer.models.settings import Tool


def tool_problem(item: dict[str, Any]) -> str | None:
    """What is wrong with a tool's ``type``, ``strict`` or custom-tool ``format``, if anything.
    A custom tool ({"type": "custom"}) takes free-form text, maybe shaped by a grammar."""
    kind = item.get("type", "function")
    if kind not in ("function", "custom"):
        return '.type: "function" (JSON arguments) or "custom" (free-form input)'
    if "strict" in item and not isinstance(item["strict"], bool):
        return ".strict: true or false"
    if kind != "custom":
        return None
    if "parameters" in item:
        return ".parameters: a custom tool takes free-form input, not a schema"
    fmt = item.get("format", {"type": "text"})
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "grammar"):
        return '.format: {"type": "text"} or {"type": "grammar", "syntax", "definition"}'
    if fmt["type"] == "grammar" and (fmt.get("syntax") not in ("lark", "regex")
                                     or not isinstance(fmt.get("definition"), str)):
        return '.format: a grammar needs "syntax" ("lark" or "regex") and a "definition"'
    return None


def tool_dicts(tools: list[Tool]) -> list[dict[str, Any]]:
    """Tools as the editor shows them: a custom tool without the schema it does not take."""
    out = []
    for tool in tools:
        d = tool.to_dict()
        if d.get("type") == "custom" and d.get("parameters") == Tool(name="x").parameters:
            del d["parameters"]
        out.append(d)
    return out
