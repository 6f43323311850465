"""Responses items and what import, export and the stream parser share about them.

Reasoning items keep their fields verbatim so export rebuilds them (type checks: the reader kit,
formats/_reader.py).
"""

from __future__ import annotations

import json
from typing import Any

from composer.models import jsontext

KEY = "openai"

ITEM_TYPES = frozenset({
    "message", "function_call", "function_call_output", "reasoning", "item_reference",
    "web_search_call", "file_search_call", "computer_call", "computer_call_output",
    "image_generation_call", "code_interpreter_call", "local_shell_call",
    "local_shell_call_output", "mcp_call", "mcp_list_tools", "mcp_approval_request",
    "mcp_approval_response", "custom_tool_call", "custom_tool_call_output",
    "apply_patch_call", "apply_patch_call_output", "shell_call", "shell_call_output",
    "tool_search_call", "tool_search_output",
})
CONTENT_TYPES = frozenset({"input_text", "input_image", "input_file", "input_audio",
                           "output_text", "refusal"})
# Body keys mapped to neutral settings; everything else goes to extra_body untouched.

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


# Tools the client runs (issue: they were shown as server-executed): the item type -> the key
# its input travels in and the output item that answers it. ``tool_search_call`` is the
# client's only with ``execution: "client"``.
CLIENT_CALLS: dict[str, tuple[str, str]] = {
    "custom_tool_call": ("input", "custom_tool_call_output"),
    "apply_patch_call": ("operation", "apply_patch_call_output"),
    "shell_call": ("action", "shell_call_output"),
    "local_shell_call": ("action", "local_shell_call_output"),
    "tool_search_call": ("arguments", "tool_search_output"),
}
CLIENT_OUTPUTS = {output: call for call, (_, output) in CLIENT_CALLS.items()}


def is_client_call(item: dict[str, Any]) -> bool:
    kind = item.get("type")
    if kind == "tool_search_call":
        return item.get("execution") == "client"
    return isinstance(kind, str) and kind in CLIENT_CALLS


def client_call(item: dict[str, Any]) -> tuple[str, str | None, dict[str, Any], dict[str, Any]]:
    """(name, call id, arguments, metadata) of a client-run tool call item. A custom tool's
    free-form input is ``{"input": text}``; the others' input object is the arguments. The
    metadata keeps the rest of the item, so export rebuilds it with the (maybe edited) input."""
    kind = str(item.get("type"))
    field = CLIENT_CALLS[kind][0]
    value = item.get(field)
    if kind == "custom_tool_call":
        name = item.get("name") if isinstance(item.get("name"), str) else "custom"
        arguments: dict[str, Any] = {"input": value if isinstance(value, str) else ""}
    else:
        name = kind.removesuffix("_call")
        arguments = value if isinstance(value, dict) else {}
    call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else None
    return name, call_id, arguments, {"item": {k: v for k, v in item.items() if k != field}}


def client_call_item(item: dict[str, Any], name: str, arguments: dict[str, Any],
                     call_id: str | None) -> dict[str, Any]:
    """The wire item of a client-run call: its kept fields, with the part's input and id."""
    kind = str(item.get("type"))
    out = dict(item)
    if kind == "custom_tool_call":
        value = arguments.get("input")
        out["name"] = name
        out["input"] = value if isinstance(value, str) else json.dumps(arguments)
    else:
        out[CLIENT_CALLS[kind][0]] = dict(arguments)
    if call_id:
        out["call_id"] = call_id
    return out


def client_output_item(kind: str, call_id: str, output: str,
                       exception: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The output item answering a client-run call of type ``kind``: (item, problem)."""
    out_type = CLIENT_CALLS[kind][1]
    text = output or exception or ""
    if kind == "apply_patch_call":
        item: dict[str, Any] = {"type": out_type, "call_id": call_id,
                                "status": "failed" if exception else "completed"}
        if text:
            item["output"] = text
        return item, None
    if kind == "shell_call":
        entries = _json_list(output)
        if entries is None:
            entries = [{"stdout": output, "stderr": exception or "",
                        "outcome": {"type": "exit", "exit_code": 1 if exception else 0}}]
        return {"type": out_type, "call_id": call_id, "output": entries}, None
    if kind == "local_shell_call":
        # The SDK's LocalShellCallOutput names the call by ``id``.
        return {"type": out_type, "id": call_id, "output": text}, None
    if kind == "tool_search_call":
        tools = _json_list(output)
        if tools is None:
            return None, "a tool_search answer must be a JSON array of tool definitions"
        return {"type": out_type, "call_id": call_id, "execution": "client",
                "tools": tools}, None
    return {"type": out_type, "call_id": call_id, "output": text}, None


def _json_list(text: str) -> list[Any] | None:
    try:
        value, _ = jsontext.loads(text)
    except jsontext.JSONTextError:
        return None
    return value if isinstance(value, list) else None
