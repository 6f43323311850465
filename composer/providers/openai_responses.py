"""The OpenAI Responses protocol: ``POST {base}/responses`` with typed SSE events.

Stream shape: ``response.created`` → per output item ``response.output_item.added`` →
content events (text, reasoning summary, function-call argument deltas...) →
``response.output_item.done`` → ``response.completed`` | ``response.incomplete`` |
``response.failed``; ``error`` anywhere. There is no ``[DONE]``: the terminal event is the end.

Parts are keyed by ``output_index`` (text by output and content index), never by item id,
which some compatible servers change on every event; the item at ``output_item.done`` confirms
what streamed and adds only what did not. The item-level data a later request must replay
(reasoning ``encrypted_content``, call and message ids, hosted tool items) is sent as one
``PartMetadata`` there, where the item is whole. Tools the client runs (custom, apply_patch,
shell, local_shell, client tool_search) are tool calls like function calls.
"""

from __future__ import annotations

import json
from typing import Any

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.events import (
    CitationAdded,
    Finish,
    OutputAttachment,
    PartMetadata,
    ReasoningDelta,
    ResponseInfo,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageReport,
)
from composer.models.formats.openai_responses import to_body
from composer.models.formats.openai_responses.wire import (
    KEY,
    client_call,
    is_client_call,
    reasoning_metadata,
    reasoning_text,
)
from composer.providers import pcm
from composer.providers.base import (
    NO_EVENTS,
    HttpRequest,
    TypedEventParser,
    WireProtocol,
    checked_body,
    post,
)
from composer.providers.coerce import array, integer, nonempty
from composer.providers.headers import header
from composer.providers.http_error import labelled, read_body

DEFAULT_BASE_URL = "https://api.openai.com/v1"
ENCRYPTED_REASONING = "reasoning.encrypted_content"
INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
_IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg",
               "webp": "image/webp"}




def usage_report(usage: Any) -> UsageReport | None:
    if not isinstance(usage, dict):
        return None
    inp = usage.get("input_tokens_details")
    out = usage.get("output_tokens_details")
    details: dict[str, Any] = {}
    written = integer(inp.get("cache_write_tokens")) if isinstance(inp, dict) else None
    if written:
        details["cache_write_tokens"] = written
    return UsageReport.report(
        input=integer(usage.get("input_tokens")),
        output=integer(usage.get("output_tokens")),
        reasoning=integer(out.get("reasoning_tokens")) if isinstance(out, dict) else None,
        cached=integer(inp.get("cached_tokens")) if isinstance(inp, dict) else None,
        details=details,
    )


def _error_fields(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(type or code, message) of an error object, flat or nested under ``error``."""
    inner = data.get("error")
    if isinstance(inner, dict):
        data = inner
    elif isinstance(inner, str):
        return None, inner
    kind = nonempty(data.get("code")) or nonempty(data.get("type"))
    if kind == "error":
        kind = None
    return kind, nonempty(data.get("message"))


class ResponsesParser(TypedEventParser):
    """Stateful: typed Responses events in, StreamEvents out."""

    who = "OpenAI"
    truncated = "the stream ended before response.completed (truncated reply)"

    def __init__(self) -> None:
        super().__init__()
        self.saw_function_call = False
        self.saw_refusal = False
        self._streamed: set[str] = set()  # keys that got deltas
        self._text_keys: dict[tuple[int, int], str] = {}  # (output, content index) -> key
        self._audio: list[str] = []

    # -- keys ---------------------------------------------------------------------------------

    # Parts are keyed by output_index, which stays put: some compatible servers give every
    # event of one item a new item_id, and keyed by id its text and reasoning came out twice.

    def _key(self, data: dict[str, Any]) -> str:
        index = integer(data.get("output_index"))
        if index is not None:
            return f"#{index}"
        return nonempty(data.get("item_id")) or "#?"

    def _item_key(self, item: dict[str, Any], index: Any) -> str:
        if integer(index) is not None:
            return f"#{integer(index)}"
        return nonempty(item.get("id")) or "#?"

    def _text_key(self, data: dict[str, Any]) -> str:
        output, content = data.get("output_index"), data.get("content_index")
        if type(output) is int and type(content) is int:  # the usual event: keys made once
            key = self._text_keys.get((output, content))
            if key is None:
                key = f"#{output}:{content}"
                if len(self._text_keys) < 1024:
                    self._text_keys[(output, content)] = key
            return key
        return f"{self._key(data)}:{integer(content) or 0}"

    # -- events: one _on_<type> handler each, called by TypedEventParser.dispatch -------

    # lifecycle

    def _on_response_created(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = data.get("response")
        if not isinstance(response, dict):
            return []
        return [ResponseInfo(id=nonempty(response.get("id")),
                             model=nonempty(response.get("model")))]

    def _finish(self, response: dict[str, Any], status: str) -> list[StreamEvent]:
        self.done = True
        events: list[StreamEvent] = []
        usage = usage_report(response.get("usage"))
        if usage is not None:
            events.append(usage)
        if status == "incomplete":
            details = response.get("incomplete_details")
            raw = nonempty(details.get("reason")) if isinstance(details, dict) else None
            events.append(Finish(INCOMPLETE_REASONS.get(raw or "", raw or "length"), raw))
        elif self.saw_refusal:
            events.append(Finish("refusal", status))
        elif self.saw_function_call:
            events.append(Finish("tool_calls", status))
        else:
            events.append(Finish("stop", status))
        return events

    def _on_response_completed(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = data.get("response")
        return self._finish(response if isinstance(response, dict) else {}, "completed")

    def _on_response_incomplete(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = data.get("response")
        return self._finish(response if isinstance(response, dict) else {}, "incomplete")

    def _on_response_failed(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        response = data.get("response")
        response = response if isinstance(response, dict) else {}
        events: list[StreamEvent] = []
        usage = usage_report(response.get("usage"))
        if usage is not None:
            events.append(usage)
        error = response.get("error")
        kind, message = _error_fields({"error": error}) if error else (None, None)
        events.append(StreamError(message or "the response failed", kind="provider",
                                  provider_type=kind))
        return events

    def _on_error(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        kind, message = _error_fields(data)
        return [StreamError(message or "the provider reported an error", kind="provider",
                            provider_type=kind, body=json.dumps(data)[:4000])]

    # items

    def _on_response_output_item_added(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = data.get("item")
        if not isinstance(item, dict):
            return []
        key = self._item_key(item, data.get("output_index"))
        kind = item.get("type")
        if kind == "reasoning":
            return [ReasoningDelta(key, "")]
        if kind == "function_call":
            self.saw_function_call = True
            return [ToolCallStart(key, nonempty(item.get("name")) or "",
                                  nonempty(item.get("call_id")))]
        if is_client_call(item):
            self.saw_function_call = True
            name, call_id, _, _ = client_call(item)
            return [ToolCallStart(key, name, call_id)]
        if kind not in ("message", "image_generation_call", None):
            return [ToolCallStart(key, str(kind).removesuffix("_call"), nonempty(item.get("id")),
                                  server_executed=True)]
        return []

    def _on_response_output_item_done(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = data.get("item")
        if not isinstance(item, dict):
            return []
        key = self._item_key(item, data.get("output_index"))
        if item.get("type") == "function_call" or is_client_call(item):
            self.saw_function_call = True
        if _has_refusal(item):
            self.saw_refusal = True
        return item_events(item, key, self._streamed)

    # text

    def _on_response_output_text_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        if not isinstance(delta, str):
            return []
        key = self._text_key(data)
        self._streamed.add(key)
        if self.holding and self._hold(TextDelta, key, delta):
            return NO_EVENTS
        return [TextDelta(key, delta)]

    def _on_response_refusal_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.saw_refusal = True
        return self._on_response_output_text_delta(data)

    def _on_response_output_text_annotation_added(self, data: dict[str, Any]) -> list[StreamEvent]:
        note = data.get("annotation")
        if not isinstance(note, dict) or note.get("type") != "url_citation":
            return []
        return [CitationAdded(self._text_key(data), url=nonempty(note.get("url")),
                              title=nonempty(note.get("title")))]

    # reasoning

    def _on_response_reasoning_summary_part_added(self, data: dict[str, Any]) -> list[StreamEvent]:
        key = self._key(data)
        if (integer(data.get("summary_index")) or 0) > 0:
            return [ReasoningDelta(key, "\n\n")]
        return []

    def _on_response_reasoning_summary_text_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        if not isinstance(delta, str):
            return []
        key = self._key(data)
        self._streamed.add(key)
        return [ReasoningDelta(key, delta)]

    _on_response_reasoning_text_delta = _on_response_reasoning_summary_text_delta

    # function calls

    def _on_response_function_call_arguments_delta(self, data: dict[str, Any]
                                                   ) -> list[StreamEvent]:
        delta = data.get("delta")
        if not isinstance(delta, str):
            return []
        key = self._key(data)
        self._streamed.add(key)
        return [ToolCallDelta(key, delta)]

    # A custom tool's free-form input, shown as it grows; the item at done holds it whole.
    _on_response_custom_tool_call_input_delta = _on_response_function_call_arguments_delta

    # images and audio

    def _on_response_image_generation_call_partial_image(self, data: dict[str, Any]
                                                         ) -> list[StreamEvent]:
        b64 = nonempty(data.get("partial_image_b64"))
        if not b64:
            return []
        mime = _IMAGE_MIME.get(str(data.get("output_format")), "image/png")
        return [OutputAttachment(self._key(data), mime, content=b64, partial=True)]

    def _on_response_audio_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        if isinstance(data.get("delta"), str):
            self._audio.append(data["delta"])
        return []

    def _on_response_audio_done(self, data: dict[str, Any]) -> list[StreamEvent]:
        if not self._audio:
            return []
        (content, bad), self._audio = pcm.wav_base64(self._audio), []
        source = {**pcm.SOURCE, **({"undecodable_chunks": bad} if bad else {})}
        return [OutputAttachment("audio", "audio/wav", content=content),
                PartMetadata("audio", KEY, {"audio": source})]

    def _on_response_audio_transcript_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        return [TextDelta("audio-transcript", delta)] if isinstance(delta, str) else []


def _has_refusal(item: dict[str, Any]) -> bool:
    content = item.get("content")
    return isinstance(content, list) and any(
        isinstance(c, dict) and c.get("type") == "refusal" and isinstance(c.get("refusal"), str)
        for c in content)


def item_events(item: dict[str, Any], key: str, streamed: set[str]) -> list[StreamEvent]:
    """Events for one whole output item. Content already streamed (keys in ``streamed``) is
    not repeated; what a later request must replay comes as PartMetadata."""
    kind = item.get("type")
    events: list[StreamEvent] = []
    if kind == "message":
        base = {k: item[k] for k in ("id", "phase") if k in item}
        content = item.get("content")
        for i, entry in enumerate(content if isinstance(content, list) else []):
            if not isinstance(entry, dict):
                continue
            text_key = f"{key}:{i}"
            text = entry.get("refusal") if entry.get("type") == "refusal" else entry.get("text")
            if text_key not in streamed and isinstance(text, str):
                events.append(TextDelta(text_key, text))
                for note in array(entry.get("annotations")):  # robustness
                    if isinstance(note, dict) and note.get("type") == "url_citation":
                        events.append(CitationAdded(text_key, url=nonempty(note.get("url")),
                                                    title=nonempty(note.get("title"))))
            elif text_key not in streamed:
                continue
            meta = dict(base)
            if entry.get("type") == "refusal":
                meta["type"] = "refusal"
            if entry.get("annotations"):
                meta["annotations"] = entry["annotations"]
            if meta:
                events.append(PartMetadata(text_key, KEY, meta))
    elif kind == "reasoning":
        text = reasoning_text(item)
        events.append(ReasoningDelta(key, "" if key in streamed else text))
        events.append(PartMetadata(key, KEY, reasoning_metadata(item)))
    elif kind == "function_call":
        events.append(ToolCallStart(key, nonempty(item.get("name")) or "",
                                    nonempty(item.get("call_id"))))
        if key not in streamed and isinstance(item.get("arguments"), str):
            events.append(ToolCallDelta(key, item["arguments"]))
        events.append(ToolCallEnd(key))
        if nonempty(item.get("id")):
            events.append(PartMetadata(key, KEY, {"id": item["id"]}))
    elif is_client_call(item):
        name, call_id, arguments, meta = client_call(item)
        events += [ToolCallStart(key, name, call_id), ToolCallEnd(key, arguments),
                   PartMetadata(key, KEY, meta)]
    elif kind == "image_generation_call":
        mime = _IMAGE_MIME.get(str(item.get("output_format")), "image/png")
        result = nonempty(item.get("result"))
        events.append(OutputAttachment(key, mime, content=result))
        rest = {k: v for k, v in item.items() if k != "result"}
        events.append(PartMetadata(key, KEY, {"item": rest}))
    elif isinstance(kind, str):
        # A hosted tool (web search, file search, code interpreter...): kept whole for replay.
        events.append(ToolCallStart(key, kind.removesuffix("_call"), nonempty(item.get("id")),
                                    server_executed=True))
        action = item.get("action")
        events.append(ToolCallEnd(key, action if isinstance(action, dict) else {}))
        events.append(PartMetadata(key, KEY, {"item": item}))
    return events


def parse_response(response: Any) -> list[StreamEvent]:
    """A non-streamed Responses reply (one JSON object) as the events a stream would give."""
    if not isinstance(response, dict):
        return [StreamError("the reply is not a Responses object", kind="provider")]
    if isinstance(response.get("error"), dict) and response.get("status") != "completed":
        kind, message = _error_fields(response)
        return [StreamError(message or "the response failed", kind="provider",
                            provider_type=kind)]
    parser = ResponsesParser()
    events = parser.dispatch({"type": "response.created", "response": response})
    output = response.get("output")
    for i, item in enumerate(output if isinstance(output, list) else []):
        events += parser.dispatch({"type": "response.output_item.done", "output_index": i,
                                   "item": item})
    end = "incomplete" if response.get("status") == "incomplete" else "completed"
    return events + parser.dispatch({"type": f"response.{end}", "response": response})


def _has_encrypted_reasoning(items: Any) -> bool:
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("type") == "reasoning" and i.get("encrypted_content")
        for i in items)


def _is_azure(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith((".openai.azure.com", ".cognitiveservices.azure.com",
                          ".services.ai.azure.com"))


class ResponsesProtocol(WireProtocol):
    name = "openai-responses"
    framing = "sse"
    metadata_key = KEY

    @staticmethod
    def headers(api_key: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "text/event-stream"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        return headers

    def build_request(self, conversation: Conversation, *, base_url: str | None = None,
                      api_key: str | None = None, stream: bool = True) -> HttpRequest:
        body, notes = checked_body(to_body(conversation), model=conversation.settings.model,
                                   messages_key="input")
        if stream:
            body["stream"] = True
        # Stateless multi-turn: reasoning is replayed from its encrypted content, not stored.
        if _has_encrypted_reasoning(body.get("input")) or "reasoning" in body:
            body.setdefault("store", False)
            include = body.get("include")
            include = list(include) if isinstance(include, list) else []
            if ENCRYPTED_REASONING not in include:
                include.append(ENCRYPTED_REASONING)
            body["include"] = include
        url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/responses"
        headers = self.headers(api_key)
        if not stream:
            headers["accept"] = "application/json"
        if api_key and _is_azure(url):
            # Azure OpenAI takes its resource key as api-key; Bearer is for Entra tokens.
            del headers["authorization"]
            headers["api-key"] = api_key
        return post(conversation, url, headers, body, notes)

    def new_parser(self) -> ResponsesParser:
        return ResponsesParser()

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        text, data = read_body(body)
        kind = message = None
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict):
                kind = nonempty(error.get("type")) or nonempty(error.get("code"))
                message = nonempty(error.get("message"))
                param = nonempty(error.get("param"))
                if message and param:
                    message += f" (param {param})"
            elif isinstance(error, str):
                message = error
            elif isinstance(data.get("message"), str):
                message = data["message"]
        request_id = (header(headers, "x-request-id") or header(headers, "apim-request-id")
                      or header(headers, "x-ms-request-id"))
        return labelled(status, text, kind, message, request_id=request_id, headers=headers)

    def models_request(self, *, base_url: str | None = None,
                       api_key: str | None = None) -> HttpRequest:
        url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/models"
        headers = {k: v for k, v in self.headers(api_key).items()
                   if k not in ("content-type", "accept")}
        if api_key and _is_azure(url):
            headers = {"api-key": api_key}
        return HttpRequest("GET", url, headers)

    def parse_models(self, data: Any) -> list[str]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise FormatError("the models list has no data array", location="$.data")
        return sorted(m["id"] for m in items if isinstance(m, dict) and isinstance(m.get("id"),
                                                                                   str))


PROTOCOL = ResponsesProtocol()
