"""Google Gemini: ``POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse``.

Every SSE ``data:`` is a whole ``GenerateContentResponse``. Text and thought chunks of one run
are one part each; a function call arrives whole; ``thoughtSignature`` is metadata on the part
it came with (a second signature in one run starts a new part, so none is ever merged away).
``usageMetadata`` repeats on every chunk, cumulative. The stream ends with the chunk that has a
``finishReason`` (or a prompt ``blockReason``), then EOF: without one it was cut short.
"""

from __future__ import annotations

import re
from typing import Any

from composer.models.conversation import Conversation
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
    ToolCallEnd,
    ToolCallStart,
    ToolResult,
    UsageReport,
)
from composer.models.formats.gemini import CANDIDATE, CODE_EXECUTION, KEY, to_body
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
from composer.providers.coerce import array, integer, string
from composer.providers.headers import header, retry_after
from composer.providers.http_error import read_body, snippet

DEFAULT_BASE = "https://generativelanguage.googleapis.com"

_FILTERED = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                       "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
                       "LANGUAGE"})


def normalise_finish(raw: str, saw_tool_call: bool) -> str:
    if raw == "STOP":
        return "tool_calls" if saw_tool_call else "stop"
    if raw == "MAX_TOKENS":
        return "length"
    if raw in _FILTERED:
        return "content_filter"
    return raw.lower()


def _api_root(base_url: str | None) -> str:
    base = (base_url or DEFAULT_BASE).rstrip("/")
    return base if re.search(r"/v1(beta\d*|alpha)?$", base) else f"{base}/v1beta"


def usage_report(meta: dict[str, Any]) -> UsageReport | None:
    """Gemini bills thoughts as output, so ``output`` counts them (reasoning is its subset)."""
    counts = _usage_counts(meta)
    if counts is None:
        return None
    return UsageReport.report(input=counts[0], output=counts[1], details=counts[2])


def _usage_counts(meta: Any) -> tuple[int | None, int | None, dict[str, Any]] | None:
    """A usageMetadata as (input, output, details) of the UsageReport it makes."""
    if not isinstance(meta, dict):
        return None
    # (A count is nearly always a plain int or missing: integer() only for anything else.)
    prompt, candidates, thoughts, tool_prompt, cached = map(meta.get, _USAGE_KEYS)
    if type(prompt) is not int and prompt is not None:
        prompt = integer(prompt)
    if type(candidates) is not int and candidates is not None:
        candidates = integer(candidates)
    if type(thoughts) is not int and thoughts is not None:
        thoughts = integer(thoughts)
    if type(tool_prompt) is not int and tool_prompt is not None:
        tool_prompt = integer(tool_prompt)
    if type(cached) is not int and cached is not None:
        cached = integer(cached)
    output = (None if candidates is None and thoughts is None
              else (candidates or 0) + (thoughts or 0))
    details = {} if tool_prompt is None else {"toolUsePromptTokenCount": tool_prompt}
    if thoughts is not None:
        details["reasoning_tokens"] = thoughts
    if cached is not None:
        details["cached_tokens"] = cached
    return prompt, output, details


# The keys of a chunk and of its candidate that carry more text and nothing else (chunk reads
# no other key of these, but an error, a prompt's feedback, a finish and sources).
_PLAIN_CHUNK = frozenset({"candidates", "usageMetadata", "modelVersion", "responseId",
                          "createTime"})
_PLAIN_CANDIDATE = frozenset({"content", "index", "safetyRatings"})
def _shape(meta: dict[str, Any]) -> tuple[type, ...]:
    """The types of a usage's counts (int where one is given), in _USAGE_KEYS' order."""
    get = meta.get
    return (get("promptTokenCount").__class__, get("candidatesTokenCount").__class__,
            get("thoughtsTokenCount").__class__, get("toolUsePromptTokenCount").__class__,
            get("cachedContentTokenCount").__class__)


_USAGE_KEYS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
               "toolUsePromptTokenCount", "cachedContentTokenCount")


def _error_event(err: Any) -> StreamError:
    if not isinstance(err, dict):
        return StreamError(message=str(err), kind="provider")
    return StreamError(message=str(err.get("message") or err.get("status") or "Gemini error"),
                       kind="provider", status=integer(err.get("code")),
                       provider_type=string(err.get("status")))


class GeminiParser(HeldText):
    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        # Per candidate: the open text or reasoning run (kind, key, has a signature yet), and
        # the latest text part, which sources attach to.
        self._runs: dict[int, tuple[str, str, bool] | None] = {}
        self._text_keys: dict[int, str] = {}
        self._saw_tool_call = False
        self._info: tuple[Any, Any] | None = None
        self._cited: set[tuple[int, str]] = set()
        self.done = False
        # Holding (HeldText), the usage every chunk repeats waits for ``release`` too, folded
        # as the assembler would fold the reports, and goes out as one report.
        self._held_usage: list[Any] | None = None  # [input, output, details]
        # The last usage seen, not yet folded: the next one of the same shape (a count at
        # the same fields) replaces everything it would give, so only the last is folded.
        self._pending: dict[str, Any] | None = None
        self._pending_shape: tuple[type, ...] | None = None

    def _new_key(self) -> str:
        self._count += 1
        return str(self._count)

    def feed(self, frame: Frame) -> list[StreamEvent]:
        chunk = decode_frame(frame, "Gemini")
        if self.holding and type(chunk) is dict and self._more_text(chunk):
            return NO_EVENTS
        return self._after_held([chunk] if isinstance(chunk, StreamError)
                                else self.chunk(chunk))

    def _more_text(self, chunk: dict[str, Any]) -> bool:
        """Nearly every streamed chunk: one candidate, one part of more text (or thought) of
        the run that is open, the usage so far: held (what ``chunk`` would make of it, held
        for ``release``); False for any other chunk, nothing held."""
        try:  # (one of one, in a dict in a dict, or not the usual chunk)
            (candidate,) = chunk["candidates"]
            (part,) = candidate["content"]["parts"]
            text = part["text"]
        except (KeyError, TypeError, ValueError):
            return False
        # Nothing else in the chunk or the candidate (a finish, sources), and text alone or a
        # thought alone, of the run that is open.
        run, size = self._runs.get(0), len(part)
        if type(text) is not str or run is None or not chunk.keys() <= _PLAIN_CHUNK \
                or not candidate.keys() <= _PLAIN_CANDIDATE or not (
                    size == 1 and run[0] == "text"
                    or size == 2 and run[0] == "reasoning" and part.get("thought") is True):
            return False
        n = candidate.get("index")
        if n is not None and (type(n) is not int or n) \
                or (chunk.get("responseId"), chunk.get("modelVersion")) != self._info:
            return False
        if not self._hold(TextDelta if size == 1 else ReasoningDelta, run[1], text):
            return False  # (another run's text is held: chunk, after it)
        meta = chunk.get("usageMetadata")
        if type(meta) is dict:  # (_hold_usage, inline)
            shape = _shape(meta)
            if shape != self._pending_shape:
                self._fold(self._pending)
                self._pending_shape = shape
            self._pending = meta
        return True

    def chunk(self, chunk: Any) -> list[StreamEvent]:
        """Events for one parsed ``GenerateContentResponse`` (a streamed chunk or a whole reply)."""
        if not isinstance(chunk, dict):
            return []
        if "error" in chunk:
            self.done = True
            return [_error_event(chunk["error"])]
        events: list[StreamEvent] = []
        info = (chunk.get("responseId"), chunk.get("modelVersion"))
        if info != self._info and any(info):
            self._info = info
            events.append(ResponseInfo(id=info[0], model=info[1]))
        finish: Finish | None = None
        candidates = chunk.get("candidates")
        if isinstance(candidates, list) and candidates:
            # candidateCount > 1: every candidate is shown, its parts after the first's, each
            # marked with its candidateIndex; the first one's finish ends the reply.
            for candidate in candidates:
                if not isinstance(candidate, dict):
                    continue
                n = candidate.get("index")
                n = n if type(n) is int else integer(n) or 0
                content = candidate.get("content")
                parts = content.get("parts") if isinstance(content, dict) else None
                for part in parts if isinstance(parts, list) else []:
                    if isinstance(part, dict):
                        events += self._part(part, n)
                if "groundingMetadata" in candidate or "citationMetadata" in candidate:
                    events += self._citations(candidate, n)
                raw = candidate.get("finishReason")
                if n == 0 and isinstance(raw, str) and raw:
                    finish = Finish(normalise_finish(raw, self._saw_tool_call), raw=raw)
        else:
            feedback = chunk.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            if isinstance(reason, str):
                finish = Finish("content_filter", raw=reason)
        if self.holding:
            self._hold_usage(chunk.get("usageMetadata"))
        else:
            usage = usage_report(chunk.get("usageMetadata"))
            if usage is not None:
                events.append(usage)
        if finish is not None:
            self.done = True
            events.append(finish)
        return events

    def _hold_usage(self, meta: Any) -> None:
        if not isinstance(meta, dict):
            return
        shape = _shape(meta)
        if shape != self._pending_shape:
            self._fold(self._pending)
            self._pending_shape = shape
        self._pending = meta

    def _fold(self, meta: dict[str, Any] | None) -> None:
        counts = _usage_counts(meta)
        if counts is None:
            return
        held = self._held_usage
        if held is None:
            held = self._held_usage = [None, None, {}]
        # As Assembler merges reports: a count given replaces the last, details are merged.
        if counts[0] is not None:
            held[0] = counts[0]
        if counts[1] is not None:
            held[1] = counts[1]
        held[2].update(counts[2])

    def release(self) -> list[StreamEvent]:
        """What was held since the last release: the text of a run as one delta, the usage
        as one report."""
        out = super().release()
        self._fold(self._pending)
        self._pending = self._pending_shape = None
        held, self._held_usage = self._held_usage, None
        if held is not None:
            out.append(UsageReport.report(input=held[0], output=held[1], details=held[2]))
        return out

    def _part(self, part: dict[str, Any], n: int = 0) -> list[StreamEvent]:
        if "text" in part and "thoughtSignature" not in part and "thought_signature" not in part:
            # The usual part: more text of the run that is open (what the rest does for it).
            text, run = part["text"], self._runs.get(n)
            if isinstance(text, str) and run is not None:
                if run[0] == ("reasoning" if part.get("thought") is True else "text"):
                    return [TextDelta(run[1], text) if run[0] == "text"
                            else ReasoningDelta(run[1], text)]
        sig = part.get("thoughtSignature", part.get("thought_signature"))
        meta = {"thoughtSignature": sig} if isinstance(sig, str) else None
        if "text" in part and isinstance(part["text"], str):
            kind = "reasoning" if part.get("thought") is True else "text"
            text = part["text"]
            run = self._runs.get(n)
            new = run is None or run[0] != kind or (meta is not None and run[2])
            if new:
                if not text and meta is None:
                    return []  # an empty closing chunk adds no part
                run = (kind, self._new_key(), False)
            assert run is not None
            self._runs[n] = (kind, run[1], run[2] or meta is not None)
            key = run[1]
            if kind == "text":
                self._text_keys[n] = key
            events: list[StreamEvent] = [
                ReasoningDelta(key=key, text=text) if kind == "reasoning"
                else TextDelta(key=key, text=text)]
            if new and n:
                events.append(PartMetadata(key=key, provider=KEY, data={CANDIDATE: n}))
            if meta:
                events.append(PartMetadata(key=key, provider=KEY, data=meta))
            return events
        self._runs[n] = None
        key = self._new_key()
        events = []
        call = part.get("functionCall")
        inline = part.get("inlineData")
        file_data = part.get("fileData")
        code = part.get("executableCode")
        result = part.get("codeExecutionResult")
        if isinstance(call, dict):
            self._saw_tool_call = True
            args = call.get("args")
            events += [ToolCallStart(key=key, name=str(call.get("name") or ""),
                                     tool_call_id=string(call.get("id"))),
                       ToolCallEnd(key=key, arguments=args if isinstance(args, dict) else {})]
        elif isinstance(inline, dict):
            events.append(OutputAttachment(key=key, mime=str(inline.get("mimeType") or ""),
                                           content=inline.get("data")))
        elif isinstance(file_data, dict):
            events.append(OutputAttachment(key=key, mime=str(file_data.get("mimeType") or ""),
                                           url=file_data.get("fileUri")))
        elif isinstance(code, dict):
            events += [ToolCallStart(key=key, name=CODE_EXECUTION, server_executed=True),
                       ToolCallEnd(key=key, arguments=dict(code))]
        elif isinstance(result, dict):
            events.append(ToolResult(key=key, name=CODE_EXECUTION,
                                     output=str(result.get("output") or "")))
            if isinstance(result.get("outcome"), str):
                events.append(PartMetadata(key=key, provider=KEY,
                                           data={"outcome": result["outcome"]}))
        else:
            return []
        if n:
            events.append(PartMetadata(key=key, provider=KEY, data={CANDIDATE: n}))
        if meta:
            events.append(PartMetadata(key=key, provider=KEY, data=meta))
        return events

    def _citations(self, candidate: dict[str, Any], n: int = 0) -> list[StreamEvent]:
        """Search grounding (``groundingMetadata.groundingChunks[].web``) and recitation sources
        (``citationMetadata.citationSources[]``), once per URL, on the latest text part."""
        found: list[tuple[str, str | None]] = []
        grounding = candidate.get("groundingMetadata")
        chunks = grounding.get("groundingChunks") if isinstance(grounding, dict) else None
        for chunk in chunks if isinstance(chunks, list) else []:
            web = chunk.get("web") if isinstance(chunk, dict) else None
            if isinstance(web, dict) and isinstance(web.get("uri"), str):
                found.append((web["uri"], string(web.get("title"))))
        citation = candidate.get("citationMetadata")
        sources = citation.get("citationSources") if isinstance(citation, dict) else None
        for source in sources if isinstance(sources, list) else []:
            if isinstance(source, dict) and isinstance(source.get("uri"), str):
                found.append((source["uri"], None))
        events: list[StreamEvent] = []
        for url, title in found:
            if (n, url) in self._cited:
                continue
            self._cited.add((n, url))
            if n not in self._text_keys:
                self._text_keys[n] = self._new_key()
            events.append(CitationAdded(key=self._text_keys[n], url=url, title=title))
        return events

    def close(self) -> list[StreamEvent]:
        held = self.release()
        if self.done:
            return held
        self.done = True
        return [*held, StreamError(message="the stream ended before Gemini sent a finish reason",
                                   kind="truncated")]


def parse_response(data: Any) -> list[StreamEvent]:
    """Events for a non-streamed ``generateContent`` reply (one whole JSON body)."""
    parser = GeminiParser()
    return parser.chunk(data) + parser.close()


def _retry_after(err: dict[str, Any], headers: dict[str, str]) -> float | None:
    asked = retry_after(headers)
    if asked is not None:
        return asked
    for detail in array(err.get("details")):  # robustness
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                pass
    return None


class GeminiProtocol(WireProtocol):
    name = "gemini"
    framing = "sse"
    metadata_key = KEY

    def build_request(self, conversation: Conversation, *, base_url: str | None = None,
                      api_key: str | None = None, stream: bool = True) -> HttpRequest:
        model = conversation.settings.model.strip().removeprefix("models/")
        body, notes = checked_body(to_body(conversation), model=model, messages_key="contents")
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["x-goog-api-key"] = api_key
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        url = f"{_api_root(base_url)}/models/{model}:{method}"
        return post(conversation, url, headers, body, notes)

    def new_parser(self) -> GeminiParser:
        return GeminiParser()

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        text, data = read_body(body)
        request_id = header(headers, "x-request-id") or header(headers, "x-goog-request-id")
        err: Any = None
        if isinstance(data, list) and data and isinstance(data[0], dict):
            data = data[0]  # the JSON-array stream form wraps its error too
        if isinstance(data, dict):
            err = data.get("error")
        if not isinstance(err, dict):
            start = snippet(text)
            message = f"HTTP {status}: {start}" if start else f"HTTP {status}"
            return StreamError(message=message, kind="http", status=status,
                               request_id=request_id, retry_after=_retry_after({}, headers),
                               body=text or None)
        provider_type = string(err.get("status"))
        return StreamError(message=str(err.get("message") or provider_type or f"HTTP {status}"),
                           kind="http", status=status, provider_type=provider_type,
                           request_id=request_id, retry_after=_retry_after(err, headers),
                           body=text)

    def models_request(self, *, base_url: str | None = None,
                       api_key: str | None = None) -> HttpRequest:
        headers = {"x-goog-api-key": api_key} if api_key else {}
        return HttpRequest("GET", f"{_api_root(base_url)}/models?pageSize=1000", headers)

    def parse_models(self, data: Any) -> list[str]:
        models = data.get("models") if isinstance(data, dict) else None
        names = []
        for item in models if isinstance(models, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            methods = item.get("supportedGenerationMethods")
            if isinstance(methods, list) and "generateContent" not in methods:
                continue
            names.append(item["name"].removeprefix("models/"))
        return names


PROTOCOL = GeminiProtocol()
