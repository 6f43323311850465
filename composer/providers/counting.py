"""Input-token counters: the request that asks a provider how many tokens a send would cost.

Pure: from a prepared ``Call`` (the request Send would make) to the request for the provider's
own counter, and the reading of its answer. The body is the send body itself, less what the
counter refuses (the streaming flags, ``max_tokens`` and the sampling options: fields that do
not change the input), so tools, system, images and PDFs are counted as they would be sent.

| preset / protocol | counter |
|---|---|
| anthropic | ``POST {base}/v1/messages/count_tokens`` |
| openai (Responses) | ``POST {base}/responses/input_tokens`` |
| openai-chat (OpenAI's own Chat Completions) | the same, the conversation as a Responses body |
| gemini | ``POST {root}/models/{m}:countTokens`` with ``generateContentRequest`` |
| llamacpp | ``POST {root}/apply-template`` (the chat body), then ``POST {root}/tokenize`` |
| vllm | ``POST {root}/tokenize`` with the chat messages and tools |

Any other server has no counter here (``count_step`` returns None): the caller estimates.
The I/O is the caller's (composer.run.counting sends these through the transport).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from composer.models.errors import ComposerError
from composer.providers import anthropic, gemini, openai_responses
from composer.providers.base import HttpRequest

if TYPE_CHECKING:
    from composer.providers.transport import Call

# What each counter accepts of the send body (its documented parameters); the rest is dropped.
ANTHROPIC_FIELDS = frozenset({
    "model", "messages", "system", "tools", "tool_choice", "thinking", "output_config",
    "output_format", "cache_control", "mcp_servers", "context_management", "speed"})
RESPONSES_FIELDS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
    "reasoning", "text", "truncation", "conversation", "previous_response_id"})
# Chat Completions fields that only steer the stream.
CHAT_STREAM_FIELDS = frozenset({"stream", "stream_options"})
# vLLM's /tokenize takes the chat request's prompt side.
VLLM_FIELDS = frozenset({"model", "messages", "tools", "chat_template_kwargs"})


class CountUnreadable(ComposerError):
    """A counter answered something without a count."""


class CountStep(Struct):
    """One request of a count; ``read`` turns its JSON answer into the count, or the next step
    (llama.cpp renders the chat template first, then tokenizes the prompt)."""

    request: HttpRequest
    endpoint: str  # what to show: where the count came from
    read: Callable[[Any], int | CountStep]


def kept(body: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in fields}


def without(body: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in fields}


def server_root(base_url: str) -> str:
    """A local OpenAI-compatible server's root: its base URL less ``/v1``."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def _number(data: Any, key: str, who: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CountUnreadable(f"{who} answered without a token count ({key})")
    return value


def _headers(request: HttpRequest) -> dict[str, str]:
    """The send's headers (key, version, the settings' own) for a JSON request."""
    return {k: v for k, v in request.headers.items() if k.lower() != "accept"}


def count_step(call: Call) -> CountStep | None:
    """The first request of ``call``'s count, or None when its server has no counter here.
    Raises RequestRefused when a body for the counter cannot be built (OpenAI Chat
    conversations are rebuilt as Responses bodies, which may refuse a part)."""
    sent = call.request
    body = sent.body if isinstance(sent.body, dict) else None
    if body is None:  # replay, llm plugins: nothing goes over HTTP
        return None
    protocol, preset = call.protocol_name, call.preset.name
    if protocol == "anthropic":
        return _anthropic(call, body)
    if protocol == "openai-responses":
        return _responses(call, body)
    if protocol == "gemini":
        return _gemini(call, body)
    if protocol == "openai-chat":
        if preset == "openai-chat":
            rebuilt = openai_responses.PROTOCOL.build_request(
                call.conversation, base_url=call.base_url, api_key=None)
            return _responses(call, rebuilt.body or {})
        if preset == "llamacpp":
            return _llamacpp(call, body)
        if preset == "vllm":
            return _vllm(call, body)
    return None


def _anthropic(call: Call, body: dict[str, Any]) -> CountStep:
    url = anthropic.endpoint(call.base_url, "messages/count_tokens")
    request = HttpRequest("POST", url, _headers(call.request), kept(body, ANTHROPIC_FIELDS))
    return CountStep(request, "Anthropic count_tokens",
                     lambda data: _number(data, "input_tokens", "Anthropic count_tokens"))


def _responses(call: Call, body: dict[str, Any]) -> CountStep:
    url = f"{call.base_url.rstrip('/')}/responses/input_tokens"
    request = HttpRequest("POST", url, _headers(call.request), kept(body, RESPONSES_FIELDS))
    return CountStep(request, "OpenAI responses/input_tokens",
                     lambda data: _number(data, "input_tokens", "OpenAI input_tokens"))


def _gemini(call: Call, body: dict[str, Any]) -> CountStep:
    model = call.settings.model.strip().removeprefix("models/")
    url = f"{gemini._api_root(call.base_url)}/models/{model}:countTokens"
    wrapped = {"generateContentRequest": {"model": f"models/{model}", **body}}
    request = HttpRequest("POST", url, _headers(call.request), wrapped)
    return CountStep(request, "Gemini countTokens",
                     lambda data: _number(data, "totalTokens", "Gemini countTokens"))


def _llamacpp(call: Call, body: dict[str, Any]) -> CountStep:
    root = server_root(call.base_url)
    headers = _headers(call.request)

    def tokenize(data: Any) -> CountStep:
        prompt = data.get("prompt") if isinstance(data, dict) else None
        if not isinstance(prompt, str):
            raise CountUnreadable("llama.cpp apply-template answered without a prompt")
        request = HttpRequest("POST", f"{root}/tokenize", headers, {"content": prompt})
        return CountStep(request, "llama.cpp tokenize", _token_list)

    template = HttpRequest("POST", f"{root}/apply-template", headers,
                           without(body, CHAT_STREAM_FIELDS))
    return CountStep(template, "llama.cpp tokenize", tokenize)


def _token_list(data: Any) -> int:
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, list):
        raise CountUnreadable("llama.cpp tokenize answered without tokens")
    return len(tokens)


def _vllm(call: Call, body: dict[str, Any]) -> CountStep:
    request = HttpRequest("POST", f"{server_root(call.base_url)}/tokenize",
                          _headers(call.request),
                          {**kept(body, VLLM_FIELDS), "add_generation_prompt": True})
    return CountStep(request, "vLLM tokenize",
                     lambda data: _number(data, "count", "vLLM tokenize"))
