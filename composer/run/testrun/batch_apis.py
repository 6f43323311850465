"""The providers' own batch APIs, which answer within a day at half the price:

- **OpenAI Batch** (presets ``openai`` and ``openai-chat``): the requests go up as a JSONL file
  (``POST /v1/files``, purpose ``batch``; one line ``{custom_id, method, url, body}`` each),
  ``POST /v1/batches`` starts it on ``/v1/chat/completions`` or ``/v1/responses``, ``GET
  /v1/batches/{id}`` polls it, and ``GET /v1/files/{id}/content`` fetches the output file and
  the error file (a line ``{custom_id, response: {status_code, body}, error}`` each).
- **Anthropic Message Batches**: ``POST /v1/messages/batches`` with ``requests: [{custom_id,
  params}]``, ``GET /v1/messages/batches/{id}`` until ``processing_status`` is ``ended``, then
  the JSONL at its ``results_url`` (``{custom_id, result: {type: succeeded | errored | canceled
  | expired, ...}}``).
- **Gemini batch mode**: ``POST models/{model}:batchGenerateContent`` with the requests inline
  (``{request, metadata: {key}}``), ``GET {name}`` (an operation) until its state ends, the
  replies in ``response.inlinedResponses.inlinedResponses``.

Each request in a batch is exactly the direct send's request body with streaming off (the
protocol's ``build_request(stream=False)``), and each reply is the whole body a non-streamed
call returns, read by the protocol's ``parse_response`` into the same events a stream gives.
The key and its headers are the prepared call's (composer.run.prepare: the same trust rules as
a direct send); ids and URLs that come back are untrusted: an id goes into a URL path only when
it looks like one, and a results URL on another origin never receives the key.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from msgspec import Struct

from composer.models.errors import ComposerError
from composer.models.events import StreamError
from composer.providers import anthropic
from composer.providers.base import SECRET_HEADERS, HttpRequest
from composer.providers.headers import retry_after
from composer.providers.transport import (
    Call,
    describe_error,
    read_error,
    retry_delay,
    should_retry,
)
from composer.providers.trust import origin

MB = 1_000_000


class Limits(Struct, frozen=True):
    """How much one batch may carry: requests, and bytes of the whole upload (OpenAI's file,
    Anthropic's body, Gemini's inline request)."""

    requests: int
    bytes: int


# The providers' documented limits per batch. A run over them is split into several batches.
LIMITS: dict[str, Limits] = {
    "openai": Limits(requests=50_000, bytes=200 * MB),
    "anthropic": Limits(requests=100_000, bytes=256 * MB),
    "gemini": Limits(requests=100_000, bytes=20 * MB),  # inline requests: 20 MB a request
}

# What a poll found. PENDING: still running; the others end the batch.
PENDING, ENDED, FAILED, EXPIRED, CANCELLED = "pending", "ended", "failed", "expired", "cancelled"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
_GEMINI_NAME = re.compile(r"^batches/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


class BatchFailed(ComposerError):
    """A batch API call that failed or answered something unreadable: one line."""


class Status(Struct):
    state: str  # PENDING | ENDED | FAILED | EXPIRED | CANCELLED
    detail: str  # the provider's own word and counts, for the user
    data: dict[str, Any]
    has_results: bool = False  # results to fetch (an expired OpenAI batch has some)


class Outcome(Struct):
    """One request's result: the whole reply, or why there is none."""

    custom_id: str
    reply: Any = None
    error: StreamError | None = None
    status: int | None = None


class Http(Struct):
    """What a batch API call needs: the shared client and a prepared call of the target (its
    request carries the key's headers; its protocol reads errors)."""

    client: httpx.AsyncClient
    call: Call
    sleep: Callable[[float], Any] = asyncio.sleep

    @property
    def auth(self) -> dict[str, str]:
        """The prepared call's headers that carry the key (its content headers left out)."""
        return {k: v for k, v in self.call.request.headers.items()
                if k.lower() not in ("content-type", "accept")}

    @property
    def key(self) -> str | None:
        for k, v in self.auth.items():
            if k.lower() in SECRET_HEADERS:
                return v.removeprefix("Bearer ").strip()
        return None

    async def send(self, method: str, url: str, what: str, *, auth: bool = True,
                   **kw: Any) -> httpx.Response:
        """One batch API request, retried on 429/5xx and connection failures like a call;
        BatchFailed naming ``what`` otherwise. Redirects are not followed."""
        config = self.call.config
        timeout = httpx.Timeout(connect=config.connect_timeout, read=config.read_timeout,
                                write=config.write_timeout, pool=config.connect_timeout)
        host = httpx.URL(url).host
        for attempt in range(config.retries + 1):
            last = attempt == config.retries
            try:
                response = await self.client.request(
                    method, url, headers=self.auth if auth else {}, timeout=timeout, **kw)
            except httpx.HTTPError as exc:
                if last:
                    raise BatchFailed(f"{what}: cannot reach {host}: "
                                      f"{str(exc) or type(exc).__name__}") from None
                await self.sleep(retry_delay(attempt, config, None))
                continue
            if 200 <= response.status_code < 300:
                return response
            if not last and should_retry(response.status_code, response.headers):
                await self.sleep(retry_delay(attempt, config, retry_after(response.headers)))
                continue
            error = read_error(self.call.protocol, response.status_code, response.content,
                               response.headers, self.key)
            raise BatchFailed(f"{what}: {describe_error(error)}")
        raise AssertionError("unreachable")

    async def json(self, method: str, url: str, what: str, **kw: Any) -> dict[str, Any]:
        response = await self.send(method, url, what, **kw)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BatchFailed(f"{what}: {httpx.URL(url).host} did not answer a JSON object")
        return data


def _checked_id(value: Any, what: str, pattern: re.Pattern[str] = _ID) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise BatchFailed(f"{what}: the server answered no usable id ({str(value)[:80]!r})")
    return value


def _jsonl(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL body; an unreadable line is skipped (its cell stays to do)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def _error_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


class BatchApi:
    name = ""

    def item(self, custom_id: str, request: HttpRequest) -> dict[str, Any]:
        raise NotImplementedError

    async def create(self, http: Http, items: list[dict[str, Any]], label: str
                     ) -> dict[str, Any]:
        """Submit ``items``; the fields to record (``id`` and whatever polling needs)."""
        raise NotImplementedError

    async def status(self, http: Http, record: dict[str, Any]) -> Status:
        raise NotImplementedError

    async def results(self, http: Http, record: dict[str, Any], status: Status
                      ) -> list[Outcome]:
        raise NotImplementedError


class OpenAIBatch(BatchApi):
    name = "openai"

    def item(self, custom_id: str, request: HttpRequest) -> dict[str, Any]:
        return {"custom_id": custom_id, "method": "POST", "url": httpx.URL(request.url).path,
                "body": request.body}

    @staticmethod
    def _base(http: Http) -> str:
        return http.call.base_url.rstrip("/")

    async def create(self, http: Http, items: list[dict[str, Any]], label: str
                     ) -> dict[str, Any]:
        base = self._base(http)
        lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
        upload = await http.json("POST", f"{base}/files", "uploading the batch file",
                                 data={"purpose": "batch"},
                                 files={"file": (f"{label}.jsonl", lines.encode("utf-8"),
                                                 "application/jsonl")})
        file_id = _checked_id(upload.get("id"), "uploading the batch file")
        batch = await http.json("POST", f"{base}/batches", "creating the batch", json={
            "input_file_id": file_id, "endpoint": items[0]["url"], "completion_window": "24h",
            "metadata": {"composer": label}})
        return {"id": _checked_id(batch.get("id"), "creating the batch"),
                "input_file_id": file_id}

    async def status(self, http: Http, record: dict[str, Any]) -> Status:
        batch_id = _checked_id(record.get("id"), "polling the batch")
        data = await http.json("GET", f"{self._base(http)}/batches/{batch_id}",
                               f"polling batch {batch_id}")
        word = str(data.get("status"))
        counts = data.get("request_counts")
        detail = word + (f" ({counts.get('completed', 0)}/{counts.get('total', 0)} done, "
                         f"{counts.get('failed', 0)} failed)" if isinstance(counts, dict) else "")
        errors = (data.get("errors") or {}).get("data") if isinstance(data.get("errors"),
                                                                       dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            detail += f": {errors[0].get('message') or errors[0].get('code')}"
        state = {"completed": ENDED, "failed": FAILED, "expired": EXPIRED,
                 "cancelled": CANCELLED}.get(word, PENDING)
        files = bool(data.get("output_file_id") or data.get("error_file_id"))
        return Status(state, detail, data, has_results=state != PENDING and files)

    async def results(self, http: Http, record: dict[str, Any], status: Status
                      ) -> list[Outcome]:
        out = []
        for key in ("output_file_id", "error_file_id"):
            file_id = status.data.get(key)
            if not file_id:
                continue
            file_id = _checked_id(file_id, f"reading the batch's {key}")
            response = await http.send("GET", f"{self._base(http)}/files/{file_id}/content",
                                       f"downloading batch file {file_id}")
            out += [self._outcome(http, line) for line in _jsonl(response.text)
                    if isinstance(line.get("custom_id"), str)]
        return out

    @staticmethod
    def _outcome(http: Http, line: dict[str, Any]) -> Outcome:
        custom_id = line["custom_id"]
        response = line.get("response")
        if isinstance(response, dict):
            code = response.get("status_code")
            code = code if isinstance(code, int) else 200
            body = response.get("body")
            if 200 <= code < 300:
                return Outcome(custom_id, reply=body, status=code)
            return Outcome(custom_id, error=read_error(http.call.protocol, code,
                                                       _error_bytes(body), {}), status=code)
        error = line.get("error") if isinstance(line.get("error"), dict) else {}
        code = str(error.get("code") or "batch_error")
        return Outcome(custom_id, error=StreamError(
            f"{code}: {error.get('message') or 'the request did not run'}",
            kind="provider", provider_type=code))


# Anthropic's error types and the HTTP status a direct call would have had.
ANTHROPIC_STATUS = {"invalid_request_error": 400, "authentication_error": 401,
                    "billing_error": 402, "permission_error": 403, "not_found_error": 404,
                    "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                    "timeout_error": 504, "overloaded_error": 529}


class AnthropicBatch(BatchApi):
    name = "anthropic"

    def item(self, custom_id: str, request: HttpRequest) -> dict[str, Any]:
        return {"custom_id": custom_id, "params": request.body}

    @staticmethod
    def _url(http: Http, path: str = "") -> str:
        return anthropic.endpoint(http.call.base_url, "messages/batches" + path)

    async def create(self, http: Http, items: list[dict[str, Any]], label: str
                     ) -> dict[str, Any]:
        batch = await http.json("POST", self._url(http), "creating the message batch",
                                json={"requests": items})
        return {"id": _checked_id(batch.get("id"), "creating the message batch")}

    async def status(self, http: Http, record: dict[str, Any]) -> Status:
        batch_id = _checked_id(record.get("id"), "polling the message batch")
        data = await http.json("GET", self._url(http, f"/{batch_id}"),
                               f"polling message batch {batch_id}")
        word = str(data.get("processing_status"))
        counts = data.get("request_counts")
        detail = word + (" (" + ", ".join(f"{v} {k}" for k, v in counts.items() if v) + ")"
                         if isinstance(counts, dict) and any(counts.values()) else "")
        ended = word == "ended"
        return Status(ENDED if ended else PENDING, detail, data, has_results=ended)

    async def results(self, http: Http, record: dict[str, Any], status: Status
                      ) -> list[Outcome]:
        url = status.data.get("results_url")
        if not isinstance(url, str) or not url:
            url = self._url(http, f"/{_checked_id(record.get('id'), 'fetching results')}"
                                  "/results")
        same = origin(url) is not None and origin(url) == origin(self._url(http))
        if not same:
            raise BatchFailed(f"the message batch's results are at {origin(url) or url}, "
                              f"not at {origin(self._url(http))}: your key was not sent there")
        response = await http.send("GET", url, "downloading the message batch's results")
        return [self._outcome(http, line) for line in _jsonl(response.text)
                if isinstance(line.get("custom_id"), str)]

    @staticmethod
    def _outcome(http: Http, line: dict[str, Any]) -> Outcome:
        custom_id = line["custom_id"]
        result = line.get("result") if isinstance(line.get("result"), dict) else {}
        kind = result.get("type")
        if kind == "succeeded":
            return Outcome(custom_id, reply=result.get("message"), status=200)
        if kind == "errored":
            error = result.get("error")
            inner = error.get("error") if isinstance(error, dict) else None
            code = ANTHROPIC_STATUS.get(inner.get("type"), 400) if isinstance(inner,
                                                                             dict) else 400
            return Outcome(custom_id, error=read_error(http.call.protocol, code,
                                                       _error_bytes(error), {}), status=code)
        return Outcome(custom_id, error=StreamError(
            f"the batch request was {kind or 'not run'}", kind="provider",
            provider_type=str(kind or "unknown")))


# google.rpc.Code -> the HTTP status a direct call answers with, and the status word.
GRPC = {1: (499, "CANCELLED"), 2: (500, "UNKNOWN"), 3: (400, "INVALID_ARGUMENT"),
        4: (504, "DEADLINE_EXCEEDED"), 5: (404, "NOT_FOUND"), 7: (403, "PERMISSION_DENIED"),
        8: (429, "RESOURCE_EXHAUSTED"), 9: (400, "FAILED_PRECONDITION"),
        13: (500, "INTERNAL"), 14: (503, "UNAVAILABLE"), 16: (401, "UNAUTHENTICATED")}


class GeminiBatch(BatchApi):
    name = "gemini"

    def item(self, custom_id: str, request: HttpRequest) -> dict[str, Any]:
        return {"request": request.body, "metadata": {"key": custom_id}}

    @staticmethod
    def _root(http: Http) -> str:
        return http.call.request.url.split("/models/", 1)[0]

    async def create(self, http: Http, items: list[dict[str, Any]], label: str
                     ) -> dict[str, Any]:
        url = http.call.request.url.rsplit(":", 1)[0] + ":batchGenerateContent"
        made = await http.json("POST", url, "creating the batch", json={"batch": {
            "display_name": label, "input_config": {"requests": {"requests": items}}}})
        return {"id": _checked_id(made.get("name"), "creating the batch", _GEMINI_NAME)}

    async def status(self, http: Http, record: dict[str, Any]) -> Status:
        name = _checked_id(record.get("id"), "polling the batch", _GEMINI_NAME)
        data = await http.json("GET", f"{self._root(http)}/{name}", f"polling {name}")
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else data
        word = str(meta.get("state") or data.get("state") or "")
        short = word.removeprefix("BATCH_STATE_").removeprefix("JOB_STATE_")
        state = {"SUCCEEDED": ENDED, "FAILED": FAILED, "EXPIRED": EXPIRED,
                 "CANCELLED": CANCELLED}.get(short, PENDING)
        if state == PENDING and data.get("done") is True:
            state = FAILED if isinstance(data.get("error"), dict) else ENDED
        detail = short.lower() or "unknown"
        if isinstance(data.get("error"), dict):
            detail += f": {data['error'].get('message')}"
        return Status(state, detail, data, has_results=state == ENDED)

    async def results(self, http: Http, record: dict[str, Any], status: Status
                      ) -> list[Outcome]:
        data = status.data
        found = None
        for holder in (data.get("response"), (data.get("metadata") or {}).get("output"),
                       data.get("output")):
            inline = holder.get("inlinedResponses") if isinstance(holder, dict) else None
            found = inline.get("inlinedResponses") if isinstance(inline, dict) else inline
            if isinstance(found, list):
                break
        if not isinstance(found, list):
            if isinstance((data.get("response") or {}).get("responsesFile"), str):
                raise BatchFailed("the batch's results are in a file: Composer submits "
                                  "inline batches and reads inline results only")
            return []
        cells = record.get("cells")
        ids = [c.get("custom_id") if isinstance(c, dict) else None
               for c in (cells if isinstance(cells, list) else [])]
        out = []
        for index, entry in enumerate(found):
            if not isinstance(entry, dict):
                continue
            meta = entry.get("metadata")
            key = meta.get("key") if isinstance(meta, dict) else None
            if not isinstance(key, str):  # the replies come in the requests' order
                key = ids[index] if index < len(ids) else None
            if not isinstance(key, str):
                continue
            if isinstance(entry.get("error"), dict):
                err = entry["error"]
                code = err.get("code")
                status_code, word = GRPC.get(code, (500, "UNKNOWN")) if isinstance(
                    code, int) and code < 100 else (code if isinstance(code, int) else 500,
                                                    str(err.get("status") or "UNKNOWN"))
                body = {"error": {"code": status_code, "message": err.get("message") or "",
                                  "status": word}}
                out.append(Outcome(key, error=read_error(http.call.protocol, status_code,
                                                         _error_bytes(body), {}),
                                   status=status_code))
            else:
                out.append(Outcome(key, reply=entry.get("response"), status=200))
        return out


# The presets whose provider has a batch API Composer speaks.
APIS: dict[str, BatchApi] = {"openai": OpenAIBatch(), "openai-chat": OpenAIBatch(),
                             "anthropic": AnthropicBatch(), "gemini": GeminiBatch()}


def api_for(preset: str) -> BatchApi | None:
    """The batch API of a preset (by its name), None when it has none."""
    return APIS.get(preset)


def api_named(name: Any) -> BatchApi | None:
    """The batch API a batch file names (``openai``, ``anthropic``, ``gemini``)."""
    return next((api for api in APIS.values() if api.name == name), None)
