"""Request settings: everything about a request except its messages.

Options use neutral names (``temperature``, ``max_tokens``, ``top_p``, ``stop``, ``seed``,
``reasoning_effort``, ``thinking_budget``, ``prompt_cache_key``); each protocol maps them to its
own, and says when it has none. ``extra_body`` is
raw JSON merged last into the request body, for whatever a provider takes that we do not model.
No API key is ever stored here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from msgspec import field

from composer.models.value import Value

KNOWN_OPTIONS: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "reasoning_effort",
    "thinking_budget",
    "prompt_cache_key",  # OpenAI: requests sharing a key are routed to the same prompt cache
)


# Header names that carry a key: redacted wherever a request is shown, refused in settings.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})

# Query parameters that carry a key (Gemini's ``key=``, Azure's ``api-key=``, ``access_token=``...).
SECRET_QUERY_PARAMS = frozenset({"key", "apikey", "api_key", "api-key", "x-api-key",
                                 "access_token", "auth_token", "token", "secret", "password"})


def split_url_secrets(url: str) -> tuple[str, list[str]]:
    """``url`` without the secrets it carries, and their names: key-like query parameters and
    the user-info (``user:password@``) part. A URL that does not parse is returned as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, []
    removed: list[str] = []
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
        removed.append("user-info")
    kept = []
    for piece in parts.query.split("&") if parts.query else []:
        name = unquote(piece.split("=", 1)[0]).strip().lower()
        if name in SECRET_QUERY_PARAMS:
            removed.append(name)
        else:
            kept.append(piece)
    if not removed:
        return url, []
    return urlunsplit(parts._replace(netloc=netloc, query="&".join(kept))), removed


class Tool(Value):
    """A function the model may call: name, description and JSON Schema of its arguments."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}})


class RequestSettings(Value):
    provider: str = "replay"  # a preset name or a protocol name
    model: str = ""
    base_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    tools: list[Tool] = field(default_factory=list)
    # "auto" | "none" | "required" | {"name": tool name}
    tool_choice: str | dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    # The provider's strict schema mode (OpenAI's ``strict``); None: not sent (its default).
    schema_strict: bool | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    # Extra HTTP headers for a custom server (never a key: keys live in the keychain).
    headers: dict[str, str] = field(default_factory=dict)

    def _written(self, out: dict[str, Any]) -> None:
        # A key in the base URL is used for sending but never written to a file or an export.
        if self.base_url:
            out["base_url"] = split_url_secrets(self.base_url)[0]

    @property
    def base_url_secrets(self) -> list[str]:
        """What saving leaves out of ``base_url`` (parameter names, "user-info"), to say so."""
        return split_url_secrets(self.base_url)[1] if self.base_url else []
