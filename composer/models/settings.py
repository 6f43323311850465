"""Request settings: everything about a request except its messages.

Options use neutral names (``temperature``, ``max_tokens``, ``top_p``, ``stop``, ``seed``,
``reasoning_effort``, ``thinking_budget``); each protocol maps them to its own. ``extra_body`` is
raw JSON merged last into the request body, for whatever a provider takes that we do not model.
No API key is ever stored here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from composer.models.parts import Value

KNOWN_OPTIONS: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "reasoning_effort",
    "thinking_budget",
)


class Tool(Value):
    """A function the model may call: name, description and JSON Schema of its arguments."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class RequestSettings(Value):
    provider: str = "replay"  # a preset name or a protocol name
    model: str = ""
    base_url: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    tools: list[Tool] = Field(default_factory=list)
    # "auto" | "none" | "required" | {"name": tool name}
    tool_choice: str | dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)
    # Extra HTTP headers for a custom server (never a key: keys live in the keychain).
    headers: dict[str, str] = Field(default_factory=dict)
