"""The Anthropic Messages protocol: ``POST {base}/v1/messages`` with typed SSE events.

Stream shape: ``message_start`` (id, model, input usage) → per content block
``content_block_start`` / ``content_block_delta``* / ``content_block_stop`` → ``message_delta``
(stop reason, cumulative output usage) → ``message_stop``; ``ping`` and ``error`` anywhere.
Each block's index is the ``key`` of the part it builds. Signatures and citations are collected
per block and sent as one ``PartMetadata`` when the block stops, so a part's metadata is whole.
"""

from __future__ import annotations

import json
from typing import Any

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.events import (
    CitationAdded,
    Finish,
    PartMetadata,
    ReasoningDelta,
    ResponseInfo,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolResult,
    UsageReport,
)
from composer.models.formats.anthropic import KEY, server_output, to_body
from composer.providers.base import (
    NO_EVENTS,
    HttpRequest,
    TypedEventParser,
    WireProtocol,
    checked_body,
    post,
)
from composer.providers.coerce import array, integer, nonempty, string
from composer.providers.headers import header
from composer.providers.http_error import labelled, read_body

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
}


def endpoint(base_url: str | None, path: str) -> str:
    """``{base}/v1/{path}``, whether or not the base already ends in ``/v1``."""
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if not base.endswith("/v1"):
        base += "/v1"
    return f"{base}/{path}"


def usage_report(usage: Any) -> UsageReport | None:
    """Anthropic counts uncached input apart from cache reads and writes; ``input`` here is
    their sum (what the prompt cost in tokens), ``cached`` the reads, raw numbers in details."""
    if not isinstance(usage, dict):
        return None

    def num(key: str, within: Any = usage) -> int | None:
        return integer(within.get(key)) if isinstance(within, dict) else None

    fresh, read, written = (num("input_tokens"), num("cache_read_input_tokens"),
                            num("cache_creation_input_tokens"))
    total = None
    if fresh is not None:
        total = fresh + (read or 0) + (written or 0)
    details: dict[str, Any] = {}
    if written:
        details["cache_creation_input_tokens"] = written
    split = usage.get("cache_creation")
    if isinstance(split, dict):  # by lifetime: ephemeral_5m_input_tokens, ephemeral_1h_…
        for key, value in split.items():
            if isinstance(value, int) and not isinstance(value, bool) and value:
                details[key] = value
    server = usage.get("server_tool_use")
    if isinstance(server, dict):
        for key, value in server.items():
            if isinstance(value, int) and value:
                details[key] = value
    return UsageReport.report(input=total, output=num("output_tokens"),
                       reasoning=num("thinking_tokens", usage.get("output_tokens_details")),
                       cached=read, details=details)


# The block a delta belongs to, for a delta whose block never opened.
_OPENED_BY = {"text_delta": "text", "citations_delta": "text", "thinking_delta": "thinking",
              "signature_delta": "thinking"}


class _Block:
    __slots__ = ("kind", "signature", "citations", "json_seen", "input", "meta")

    def __init__(self, kind: str):
        self.kind = kind
        self.signature: str | None = None
        self.citations: list[Any] = []
        self.json_seen = False
        self.input: dict[str, Any] | None = None
        self.meta: dict[str, Any] = {}


class AnthropicParser(TypedEventParser):
    """Frames in, StreamEvents out; one per response."""

    who = "Anthropic"
    truncated = "the stream ended before message_stop: the reply is incomplete"

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[str, _Block] = {}
        self._names: dict[str, str] = {}  # tool_use id -> tool name, for server results

    # -- events ---------------------------------------------------------------------------

    def _on_message_start(self, event: dict[str, Any]) -> list[StreamEvent]:
        message = event.get("message")
        if not isinstance(message, dict):
            return []
        out: list[StreamEvent] = [ResponseInfo(id=string(message.get("id")),
                                               model=string(message.get("model")))]
        usage = usage_report(message.get("usage"))
        if usage is not None:
            out.append(usage)
        return out

    def _on_content_block_start(self, event: dict[str, Any]) -> list[StreamEvent]:
        block = event.get("content_block")
        if not isinstance(block, dict):
            return []
        key = str(event.get("index"))
        kind = block.get("type")
        state = _Block(kind if isinstance(kind, str) else "")
        self._blocks[key] = state
        out: list[StreamEvent] = []
        if kind == "text":
            out.append(TextDelta(key, string(block.get("text")) or ""))
            for citation in array(block.get("citations")):
                out.extend(self._citation(key, state, citation))
        elif kind == "thinking":
            out.append(ReasoningDelta(key, string(block.get("thinking")) or ""))
            state.signature = nonempty(block.get("signature"))
        elif kind == "redacted_thinking":
            out.append(ReasoningDelta(key, redacted=True))
            # llm-anthropic's shape, so either tool replays it: {"type", "data"}.
            out.append(PartMetadata(key, KEY, {"type": "redacted_thinking",
                                               "data": string(block.get("data")) or ""}))
        elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            name, call_id = string(block.get("name")) or "", string(block.get("id"))
            if call_id:
                self._names[call_id] = name
            out.append(ToolCallStart(key, name, call_id, server_executed=kind != "tool_use"))
            if kind == "mcp_tool_use":
                state.meta = {k: v for k, v in block.items()
                              if k not in ("id", "name", "input", "caller")}
            given = block.get("input")
            state.input = given if isinstance(given, dict) else None
        elif isinstance(kind, str) and kind.endswith("_tool_result"):
            call_id = string(block.get("tool_use_id"))
            name = self._names.get(call_id or "", kind.removesuffix("_tool_result"))
            out.append(ToolResult(key, name, server_output(block.get("content")), call_id))
            out.append(PartMetadata(key, KEY, {k: v for k, v in block.items()
                                               if k != "tool_use_id"}))
        return out

    def _citation(self, key: str, state: _Block, citation: Any) -> list[StreamEvent]:
        if not isinstance(citation, dict):
            return []
        state.citations.append(citation)
        return [CitationAdded(key, url=string(citation.get("url")),
                              title=string(citation.get("title"))
                              or string(citation.get("document_title")),
                              cited_text=string(citation.get("cited_text")))]

    def _on_content_block_delta(self, event: dict[str, Any]) -> list[StreamEvent]:
        delta = event.get("delta")
        key = str(event.get("index"))
        if type(delta) is dict and delta.get("type") == "text_delta" and key in self._blocks:
            text = delta.get("text")  # the usual event: more text of an open block
            if type(text) is str:
                if self.holding and self._hold(TextDelta, key, text):
                    return NO_EVENTS
                return [TextDelta(key, text)]
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        state = self._blocks.get(key)
        if state is None:
            # A delta for a block that never opened: keep what it carries (text, thinking) as
            # its own block rather than lose it; a tool call without its start has no name.
            opened = _OPENED_BY.get(kind) if isinstance(kind, str) else None
            if opened is None:
                return [StreamError(f"Anthropic sent a {kind or 'delta'} for content block {key} "
                                    "before content_block_start: it was dropped",
                                    kind="provider", body=json.dumps(event)[:2000])]
            state = self._blocks[key] = _Block(opened)
        if kind == "text_delta":
            return [TextDelta(key, string(delta.get("text")) or "")]
        if kind == "thinking_delta":
            return [ReasoningDelta(key, string(delta.get("thinking")) or "")]
        if kind == "signature_delta":
            state.signature = (state.signature or "") + (string(delta.get("signature")) or "")
            return []
        if kind == "input_json_delta":
            fragment = string(delta.get("partial_json")) or ""
            state.json_seen = True
            return [ToolCallDelta(key, fragment)] if fragment else []
        if kind == "citations_delta":
            return self._citation(key, state, delta.get("citation"))
        return []

    def _on_content_block_stop(self, event: dict[str, Any]) -> list[StreamEvent]:
        key = str(event.get("index"))
        state = self._blocks.get(key)
        if state is None:
            return []
        out: list[StreamEvent] = []
        if state.kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            whole = None if state.json_seen else (state.input or {})
            out.append(ToolCallEnd(key, whole))
            if state.meta:
                out.append(PartMetadata(key, KEY, state.meta))
        elif state.kind == "thinking" and state.signature:
            out.append(PartMetadata(key, KEY, {"signature": state.signature}))
        elif state.kind == "text" and state.citations:
            out.append(PartMetadata(key, KEY, {"citations": list(state.citations)}))
        return out

    def _on_message_delta(self, event: dict[str, Any]) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        usage = usage_report(event.get("usage"))
        if usage is not None:
            out.append(usage)
        delta = event.get("delta")
        reason = string(delta.get("stop_reason")) if isinstance(delta, dict) else None
        if reason:
            out.append(Finish(STOP_REASONS.get(reason, reason), raw=reason))
        return out

    def _on_message_stop(self, event: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        return []

    def _on_error(self, event: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        error = event.get("error")
        error = error if isinstance(error, dict) else {}
        kind = string(error.get("type"))
        message = string(error.get("message")) or "the provider reported an error"
        return [StreamError(f"{kind}: {message}" if kind else message, kind="provider",
                            provider_type=kind, request_id=string(event.get("request_id")),
                            body=json.dumps(event)[:2000])]



def parse_response(message: Any) -> list[StreamEvent]:
    """A non-streamed Messages response, as the events its stream would have given."""
    if not isinstance(message, dict):
        return [StreamError("the reply is not a message object", kind="provider")]
    if message.get("type") == "error":
        return AnthropicParser()._on_error(message)
    parser = AnthropicParser()
    out = parser.dispatch({"type": "message_start", "message": message})
    content = message.get("content")
    for index, block in enumerate(content if isinstance(content, list) else []):
        for event in ({"type": "content_block_start", "index": index, "content_block": block},
                      {"type": "content_block_stop", "index": index}):
            out.extend(parser.dispatch(event))
    reason = message.get("stop_reason")
    out.extend(parser._on_message_delta({"delta": {"stop_reason": reason}}))
    return [e for e in out if not (isinstance(e, UsageReport) and e.input is None
                                   and e.output is None)]


class AnthropicProtocol(WireProtocol):
    name = "anthropic"
    framing = "sse"
    metadata_key = KEY

    def headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def build_request(self, conversation: Conversation, *, base_url: str | None = None,
                      api_key: str | None = None, stream: bool = True) -> HttpRequest:
        built = to_body(conversation)
        body, notes = checked_body(built, model=conversation.settings.model
                                   or built[0].get("model"), messages_key="messages")
        if stream:
            body["stream"] = True
        return post(conversation, endpoint(base_url, "messages"), self.headers(api_key), body,
                    notes)

    def new_parser(self) -> AnthropicParser:
        return AnthropicParser()

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        text, data = read_body(body)
        kind = message = request_id = None
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict):
                kind, message = string(error.get("type")), string(error.get("message"))
            elif isinstance(error, str):
                message = error
            request_id = string(data.get("request_id"))
        return labelled(status, text, kind, message, headers=headers,
                        request_id=header(headers, "request-id") or request_id)

    def models_request(self, *, base_url: str | None = None,
                       api_key: str | None = None) -> HttpRequest:
        headers = {k: v for k, v in self.headers(api_key).items() if k != "content-type"}
        return HttpRequest("GET", endpoint(base_url, "models?limit=1000"), headers)

    def parse_models(self, data: Any) -> list[str]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise FormatError("the models list has no data array", location="$.data")
        return [m["id"] for m in items if isinstance(m, dict) and isinstance(m.get("id"), str)]


PROTOCOL = AnthropicProtocol()
