"""The ``openai-chat`` wire protocol: ``POST {base}/chat/completions``, streamed as SSE.

Also every OpenAI-compatible server (OpenRouter, Groq, DeepSeek, xAI, vLLM, llama.cpp, Ollama,
Vercel's gateway...). The body comes from the ``openai-chat`` format's ``to_body``; this module adds
the URL, headers and streaming flags, and turns chunks into stream events.

Parts are keyed ``text``, ``refusal``, ``reasoning`` and ``tool:<index>`` (a new key when a
server reuses an index, or sends none, for a call with another id: Mistral). Reasoning text
comes from ``reasoning_content``, ``reasoning`` or Mistral's ``thinking`` content chunks;
``reasoning_details`` are merged by their ``index`` and attached to the reasoning part whole once
the message is over, so they replay verbatim. A stream counts as complete once a
``finish_reason`` or ``[DONE]`` arrived. Streamed audio is raw PCM16, saved as a WAV (see
``pcm``); a custom tool call's free-form input is ``{"input": text}``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

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
from composer.models.formats.openai_chat import to_body
from composer.models.formats.openai_chat.wire import META, thinking_text
from composer.providers import pcm
from composer.providers.base import (
    NO_EVENTS,
    Frame,
    HeldText,
    HttpRequest,
    WireProtocol,
    checked_body,
    decode_frame,
    post,
)
from composer.providers.coerce import integer, string
from composer.providers.headers import header, retry_after
from composer.providers.http_error import read_body, snippet

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls",
           "function_call": "tool_calls", "content_filter": "content_filter",
           "refusal": "refusal"}
_TOOL_CALL_KEYS = frozenset({"index", "id", "type", "function", "custom"})


_PLAIN_DELTA = frozenset({"content", "role"})


class ChatStreamParser(HeldText):
    """Chat Completions chunks in, stream events out. One parser per response."""

    def __init__(self, streamed: bool = True) -> None:
        super().__init__()
        # Streamed audio is raw PCM16 in chunks; a whole reply's is one file.
        self.streamed = streamed
        self.done = False
        self.finished = False
        self.errored = False
        self._info_sent = False
        self._reasoning_field: str | None = None
        self._reasoning_text = False
        self._details: dict[Any, dict[str, Any]] = {}
        self._details_sent = False
        self._refused = False
        self._finish_raw: str | None = None
        # tool index -> (key, id); keys in order, and which have been ended.
        self._calls: dict[Any, tuple[str, str | None]] = {}
        self._call_keys: list[str] = []
        self._ended: set[str] = set()
        self._custom: dict[str, list[str]] = {}  # a custom tool call's input, by key
        self._audio: list[str] = []
        self._audio_sent = False

    # -- the Parser protocol --

    def feed(self, frame: Frame) -> list[StreamEvent]:
        return self._after_held(self._frame(frame))

    def _frame(self, frame: Frame) -> list[StreamEvent]:
        if frame.data.strip() == "[DONE]":
            self.done = True
            return self._wrap_up()
        chunk = decode_frame(frame, "the server")
        if isinstance(chunk, StreamError):
            return [chunk]
        if not isinstance(chunk, dict):
            return []
        if frame.event == "error" and "error" not in chunk:
            chunk = {"error": chunk}
        return self.chunk(chunk)

    def close(self) -> list[StreamEvent]:
        events = [*self._held_text(), *self._wrap_up()]
        if not (self.done or self.finished or self.errored):
            events.append(StreamError("the stream ended before the reply was complete "
                                      "(no finish_reason and no [DONE])", kind="truncated"))
        return events

    # -- one chunk --

    def chunk(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        choices = chunk.get("choices")
        if (self._info_sent and type(choices) is list and len(choices) == 1
                and chunk.get("usage") is None and chunk.get("error") is None):
            # Nearly every chunk of a reply: one choice with a piece of text and nothing else
            # (what the rest below makes of it, without its walk).
            choice = choices[0]
            if type(choice) is dict and choice.get("index", 0) == 0 \
                    and not choice.get("finish_reason"):
                delta = choice.get("delta")
                if type(delta) is dict and delta.keys() <= _PLAIN_DELTA:
                    content = delta.get("content", "")
                    if type(content) is str:
                        if not content:
                            return []
                        if self.holding and self._hold(TextDelta, "text", content):
                            return NO_EVENTS  # (the guard's: only read)
                        return [TextDelta("text", content)]
        events: list[StreamEvent] = []
        if not self._info_sent and (chunk.get("id") or chunk.get("model")):
            self._info_sent = True
            extra = {k: chunk[k] for k in ("provider", "system_fingerprint")
                     if isinstance(chunk.get(k), str)}
            events.append(ResponseInfo(id=string(chunk.get("id")), model=string(chunk.get("model")),
                                       provider_metadata={META: extra} if extra else None))
        choices = chunk.get("choices")
        finish = None
        if isinstance(choices, list):
            for choice in choices:
                # n > 1 is not something a workbench asks for; the first choice is the reply.
                if isinstance(choice, dict) and choice.get("index", 0) == 0:
                    delta = choice.get("delta")
                    if delta is None:
                        delta = choice.get("message")  # a whole (non-streamed) reply
                    if isinstance(delta, dict):
                        events += self.delta(delta)
                    if choice.get("finish_reason"):
                        finish = str(choice["finish_reason"])
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            events.append(_usage(usage))
        if finish is not None:
            events += self._finish(finish)
        error = chunk.get("error")
        if error is not None:
            self.errored = True
            events.append(_in_band_error(error, chunk))
        return events

    def delta(self, delta: dict[str, Any]) -> list[StreamEvent]:
        if delta.keys() <= _PLAIN_DELTA and isinstance(content := delta.get("content", ""), str):
            # Nearly every chunk of a reply: a piece of text and nothing else.
            return [TextDelta("text", content)] if content else []
        events: list[StreamEvent] = []
        for field in ("reasoning_content", "reasoning"):
            text = delta.get(field)
            if isinstance(text, str) and text:
                self._reasoning_text = True
                events.append(ReasoningDelta("reasoning", text))
                if self._reasoning_field is None:
                    self._reasoning_field = field
                    events.append(PartMetadata("reasoning", META, {"field": field}))
                break
        details = delta.get("reasoning_details")
        if isinstance(details, list) and details:
            if self._reasoning_field is None and not self._details:
                events.append(ReasoningDelta("reasoning", ""))
            for d in details:
                if isinstance(d, dict):
                    self._merge_detail(d)
            if not self._reasoning_field and self._details:
                # No plain reasoning text alongside: show the details' own text as it grows.
                for d in details:
                    if isinstance(d, dict):
                        for key in ("text", "summary"):
                            if isinstance(d.get(key), str) and d[key]:
                                self._reasoning_text = True
                                events.append(ReasoningDelta("reasoning", d[key]))
        content = delta.get("content")
        if isinstance(content, str) and content:
            events.append(TextDelta("text", content))
        elif isinstance(content, list):  # Mistral, and whole replies from some servers
            for part in content:
                if isinstance(part, dict) and part.get("type") == "thinking":
                    events += self._thinking(part)
                elif isinstance(part, dict) and isinstance(part.get("text"), str):
                    events.append(TextDelta("text", part["text"]))
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            events.append(TextDelta("refusal", refusal))
            if not self._refused:
                self._refused = True
                events.append(PartMetadata("refusal", META, {"refusal": "field"}))
        annotations = delta.get("annotations")
        if isinstance(annotations, list):
            for a in annotations:
                cite = a.get("url_citation") if isinstance(a, dict) else None
                if isinstance(cite, dict):
                    events.append(CitationAdded("text", url=string(cite.get("url")),
                                                title=string(cite.get("title"))))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for position, call in enumerate(calls):
                if isinstance(call, dict):
                    events += self._tool_call(call, position)
        audio = delta.get("audio")
        if isinstance(audio, dict):
            if isinstance(audio.get("data"), str):
                self._audio.append(audio["data"])
            if isinstance(audio.get("transcript"), str) and audio["transcript"]:
                events.append(TextDelta("text", audio["transcript"]))
            if isinstance(audio.get("id"), str):
                events.append(ResponseInfo(provider_metadata={
                    META: {"fields": {"audio": {"id": audio["id"]}}}}))
        return events

    def _thinking(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """Mistral's reasoning: a ``thinking`` content chunk holding text chunks."""
        text = thinking_text(chunk.get("thinking"))
        events: list[StreamEvent] = []
        if self._reasoning_field is None:
            self._reasoning_field = "thinking"
            events.append(ReasoningDelta("reasoning", ""))
            events.append(PartMetadata("reasoning", META, {"field": "thinking"}))
        if text:
            self._reasoning_text = True
            events.append(ReasoningDelta("reasoning", text))
        return events

    def _tool_call(self, call: dict[str, Any], position: int) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        index = call.get("index", position)
        if not isinstance(index, int | str):  # robustness: a list or object is no index
            index = position
        custom = call.get("custom")
        if isinstance(custom, dict):  # a custom tool: free-form "input", not JSON arguments
            fn = {"name": custom.get("name")}
        else:
            fn = call.get("function") if isinstance(call.get("function"), dict) else {}
        call_id = string(call.get("id"))
        known = self._calls.get(index)
        if known is None or (call_id and known[1] and call_id != known[1]):
            key = f"tool:{index}" if known is None else f"tool:{index}:{len(self._call_keys)}"
            self._calls[index] = (key, call_id)
            self._call_keys.append(key)
            events.append(ToolCallStart(key, string(fn.get("name")) or "", call_id))
        key = self._calls[index][0]
        extra = {k: v for k, v in call.items() if k not in _TOOL_CALL_KEYS}
        if extra:
            events.append(PartMetadata(key, META, {"fields": extra}))
        if isinstance(custom, dict):
            if key not in self._custom:
                self._custom[key] = []
                events.append(PartMetadata(key, META, {"custom": True}))
            if isinstance(custom.get("input"), str) and custom["input"]:
                self._custom[key].append(custom["input"])
                events.append(ToolCallDelta(key, custom["input"]))
            return events
        args = fn.get("arguments")
        if isinstance(args, str) and args:
            events.append(ToolCallDelta(key, args))
        elif isinstance(args, dict):
            events.append(ToolCallEnd(key, args))
            self._ended.add(key)
        return events

    def _merge_detail(self, d: dict[str, Any]) -> None:
        index = d.get("index", len(self._details))
        if not isinstance(index, (int, str)):
            index = len(self._details)
        have = self._details.get(index)
        if have is None or (have.get("type") and d.get("type") and have["type"] != d["type"]):
            if have is not None:
                index = f"{index}:{len(self._details)}"  # a new block reusing the index
            self._details[index] = dict(d)
            return
        for k, v in d.items():
            if k in ("text", "summary", "data", "signature") and isinstance(v, str) \
                    and isinstance(have.get(k), str):
                have[k] += v
            elif v is not None or k not in have:
                have[k] = v

    def _finish(self, raw: str) -> list[StreamEvent]:
        events = self._end_calls()
        self.finished = True
        self._finish_raw = raw
        reason = _FINISH.get(raw, raw)
        if self._refused and reason == "stop":
            reason = "refusal"
        events.append(Finish(reason, raw))
        return events

    def _end_calls(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for key in self._call_keys:
            if key not in self._ended:
                self._ended.add(key)
                custom = self._custom.get(key)
                events.append(ToolCallEnd(key, None if custom is None
                                          else {"input": "".join(custom)}))
        return events

    def _wrap_up(self) -> list[StreamEvent]:
        events = self._end_calls()
        if self._details and not self._details_sent:
            self._details_sent = True
            if not self._reasoning_text:
                events.append(ReasoningDelta("reasoning", redacted=True))
            events.append(PartMetadata("reasoning", META,
                                       {"reasoning_details": list(self._details.values())}))
        if self._audio and not self._audio_sent:
            self._audio_sent = True
            events += self._audio_events()
        return events

    def _audio_events(self) -> list[StreamEvent]:
        if not self.streamed:
            # A whole reply's audio is one file in the format the request asked for.
            return [OutputAttachment("audio", "audio/wav", content="".join(self._audio))]
        content, bad = pcm.wav_base64(self._audio)
        source = {**pcm.SOURCE, **({"undecodable_chunks": bad} if bad else {})}
        return [OutputAttachment("audio", "audio/wav", content=content),
                PartMetadata("audio", META, {"audio": source})]


def parse_response(data: Any) -> list[StreamEvent]:
    """A whole (non-streamed) Chat Completions response as the events a stream would give."""
    parser = ChatStreamParser(streamed=False)
    if not isinstance(data, dict):
        return [StreamError("the reply is not a JSON object", kind="provider")]
    events = parser.chunk(data)
    events += parser.feed(Frame("[DONE]"))
    return events


class OpenAIChatProtocol(WireProtocol):
    name = "openai-chat"
    framing = "sse"
    metadata_key = META

    def build_request(self, conversation: Conversation, *, base_url: str,
                      api_key: str | None, stream: bool = True) -> HttpRequest:
        built = to_body(conversation, thinking_host=_rejects_thinking(base_url))
        body, notes = checked_body(built, model=built[0].get("model"), messages_key="messages")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if stream:
            body["stream"] = True
            options = body.get("stream_options")
            body["stream_options"] = {**(options if isinstance(options, dict) else {}),
                                      "include_usage": True}
            headers["Accept"] = "text/event-stream"
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return post(conversation, _endpoint(base_url, "chat/completions"), headers, body, notes)

    def new_parser(self) -> ChatStreamParser:
        return ChatStreamParser()

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        text, data = read_body(body)
        message, provider_type = _error_message(data)
        if not message:
            start = snippet(text)
            message = f"HTTP {status}" + (f": {start}" if start else "")
        request_id = (header(headers, "x-request-id") or header(headers, "request-id")
                      or header(headers, "x-generation-id"))
        return StreamError(message, kind="http", status=status, provider_type=provider_type,
                           request_id=request_id, retry_after=retry_after(headers),
                           body=text or None)

    def models_request(self, *, base_url: str, api_key: str | None) -> HttpRequest:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return HttpRequest("GET", _endpoint(base_url, "models"), headers)

    def parse_models(self, data: Any) -> list[str]:
        items = data.get("data") if isinstance(data, dict) else data
        if isinstance(data, dict) and items is None:
            items = data.get("models")
        if not isinstance(items, list):
            raise FormatError("the model list has no data[] array")
        ids = []
        for item in items:
            ident = item.get("id") or item.get("name") if isinstance(item, dict) else item
            if isinstance(ident, str) and ident:
                ids.append(ident)
        return sorted(set(ids))


PROTOCOL = OpenAIChatProtocol()


# -- helpers ---------------------------------------------------------------------------------




# Hosted Chat servers known to answer 400 to a content chunk of type "thinking" (Mistral's
# reasoning); any other server (Mistral, a local or custom one) gets it as it came.
_OTHER_HOSTS = ("api.openai.com", "openrouter.ai", "api.groq.com", "api.deepseek.com",
                "api.x.ai")


def _rejects_thinking(base_url: str) -> str | None:
    try:
        host = urlsplit(base_url).hostname or ""
    except ValueError:
        return None
    return next((h for h in _OTHER_HOSTS if host == h or host.endswith("." + h)), None)


def _endpoint(base_url: str, path: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/" + path):
        return base
    return f"{base}/{path}"


def _usage(usage: dict[str, Any]) -> UsageReport:
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    prompt = prompt if isinstance(prompt, dict) else {}
    completion = completion if isinstance(completion, dict) else {}
    details: dict[str, Any] = {}
    for source in (prompt, completion):
        for k, v in source.items():
            if k not in ("cached_tokens", "reasoning_tokens") and integer(v):
                details[k] = v
    if isinstance(usage.get("cost"), (int, float)) and not isinstance(usage["cost"], bool):
        details["cost"] = usage["cost"]
    return UsageReport.report(input=integer(usage.get("prompt_tokens")),
                       output=integer(usage.get("completion_tokens")),
                       reasoning=integer(completion.get("reasoning_tokens")),
                       cached=integer(prompt.get("cached_tokens")), details=details)


def _in_band_error(error: Any, chunk: dict[str, Any]) -> StreamError:
    body = json.dumps(chunk, ensure_ascii=False)
    if isinstance(error, dict):
        message = string(error.get("message")) or "the server reported an error"
        kind = error.get("type") or error.get("code")
        return StreamError(message, kind="provider",
                           provider_type=str(kind) if kind is not None else None, body=body)
    return StreamError(str(error), kind="provider", body=body)


def _error_message(data: Any) -> tuple[str | None, str | None]:
    """(message, type or code) of an error body's JSON, flat, nested or in a list."""
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return None, None
    error = data.get("error", data)
    if isinstance(error, str):
        return error, None
    if not isinstance(error, dict):
        return None, None
    message = string(error.get("message")) or string(error.get("detail"))
    kind = error.get("type") or error.get("code") or error.get("status")
    meta = error.get("metadata")
    if message and isinstance(meta, dict) and isinstance(meta.get("raw"), str):
        who = meta.get("provider_name")
        message = f"{message} ({who + ': ' if isinstance(who, str) else ''}{meta['raw'][:300]})"
    return message, str(kind) if kind is not None else None
