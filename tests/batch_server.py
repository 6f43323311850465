"""A stateful HTTP server on 127.0.0.1 that speaks the three batch APIs and the direct (streamed)
endpoints of the same providers, answering every request with the same replies, so a batch run
and a direct run of one suite can be compared cell by cell.

- OpenAI: ``POST /v1/files`` (multipart, purpose ``batch``), ``POST /v1/batches``, ``GET
  /v1/batches/{id}``, ``GET /v1/files/{id}/content``; direct ``POST /v1/chat/completions``.
- Anthropic: ``POST /v1/messages/batches``, ``GET /v1/messages/batches/{id}``, ``GET
  {results_url}``; direct ``POST /v1/messages``.
- Gemini: ``POST /v1beta/models/{model}:batchGenerateContent``, ``GET /v1beta/batches/{id}``;
  direct ``POST /v1beta/models/{model}:streamGenerateContent``.

``answer(protocol, body)`` gives each request's reply: ``(200, whole reply)`` or ``(status,
error body)``, as the provider's non-streamed endpoint would answer. The batch endpoints put
that reply in their result formats; the direct endpoints stream it as the provider streams
(``as_sse``). A batch stays pending for ``pending_polls`` polls, then ends as ``fates`` says
(``completed`` by default; ``failed``, ``expired``). Requests carrying ``stream`` in a batch are
refused, as the providers refuse them. Every request is recorded in ``received``.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import StoppableServer

Answer = Callable[[str, dict[str, Any]], tuple[int, Any]]


@dataclass
class Batch:
    api: str
    requests: list[tuple[str, dict[str, Any]]]  # (custom id, request body)
    fate: str
    polls: int = 0
    model: str = ""
    endpoint: str = ""  # OpenAI's: /v1/chat/completions or /v1/responses


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class BatchServer:
    answer: Answer
    pending_polls: int = 1
    # Where Anthropic's results_url points (another server's origin, to test the key stays).
    results_base: str | None = None
    fates: deque[str] = field(default_factory=deque)
    batches: dict[str, Batch] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    received: list[Seen] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The body goes out at once behind the headers, not after the client's delayed ACK
            # (about 40 ms for each request on a kept-alive connection; see tests/loopback.py).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.received.append(Seen(self.command, self.path,
                                                dict(self.headers.items()), body))
                    status, ctype, payload = server.route(self.command, self.path,
                                                          dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        self._server = StoppableServer(("127.0.0.1", 0), Handler)
        self._server.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    # -- routing ----------------------------------------------------------------------------

    def route(self, method: str, path: str, headers: dict[str, str], body: bytes
              ) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0]
        if not any(k.lower() in ("authorization", "x-api-key", "x-goog-api-key")
                   for k in headers):
            return _json(401, {"error": {"message": "no key"}})
        if method == "POST" and path == "/v1/files":
            return self._upload(headers, body)
        if method == "POST" and path == "/v1/batches":
            return self._create_openai(json.loads(body))
        if method == "GET" and (m := re.fullmatch(r"/v1/batches/([\w-]+)", path)):
            return self._status("openai", m[1])
        if method == "GET" and (m := re.fullmatch(r"/v1/files/([\w-]+)/content", path)):
            return 200, "application/jsonl", self.files[m[1]]
        if method == "POST" and path == "/v1/messages/batches":
            requests = json.loads(body)["requests"]
            return self._create("anthropic", [(r["custom_id"], r["params"]) for r in requests])
        if method == "GET" and (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)", path)):
            return self._status("anthropic", m[1])
        if method == "GET" and (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)/results",
                                                  path)):
            return self._anthropic_results(m[1])
        if method == "POST" and (m := re.fullmatch(r"/v1beta/models/([\w.-]+):"
                                                   r"batchGenerateContent", path)):
            inline = json.loads(body)["batch"]["input_config"]["requests"]["requests"]
            return self._create("gemini", [(r["metadata"]["key"], r["request"])
                                           for r in inline], model=m[1])
        if method == "GET" and (m := re.fullmatch(r"/v1beta/batches/([\w-]+)", path)):
            return self._status("gemini", f"batches/{m[1]}")
        direct = {"/v1/chat/completions": "openai-chat", "/v1/messages": "anthropic"}
        protocol = direct.get(path) or ("gemini" if path.endswith(":streamGenerateContent")
                                        else None)
        if method == "POST" and protocol:
            self.counts[f"direct-{protocol}"] += 1
            status, reply = self.answer(protocol, json.loads(body))
            if status != 200:
                return _json(status, reply)
            return 200, "text/event-stream", as_sse(protocol, reply).encode()
        return _json(404, {"error": {"message": f"no route for {method} {path}"}})

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        ctype = next(v for k, v in headers.items() if k.lower() == "content-type")
        message = BytesParser(policy=policy.default).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        fields = {part.get_param("name", header="content-disposition"):
                  part.get_payload(decode=True) for part in message.iter_parts()}
        if fields.get("purpose") != b"batch":
            return _json(400, {"error": {"message": "purpose must be batch"}})
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = fields["file"]
        self.counts["uploads"] += 1
        return _json(200, {"id": file_id, "object": "file", "purpose": "batch",
                           "bytes": len(fields["file"])})

    def _create_openai(self, data: dict[str, Any]) -> tuple[int, str, bytes]:
        lines = [json.loads(line) for line in self.files[data["input_file_id"]].splitlines()]
        if any(line["url"] != data["endpoint"] for line in lines):
            return _json(400, {"error": {"message": "every line must use the endpoint"}})
        return self._create("openai", [(line["custom_id"], line["body"]) for line in lines],
                            endpoint=data["endpoint"])

    def _create(self, api: str, requests: list[tuple[str, dict[str, Any]]], model: str = "",
                endpoint: str = "") -> tuple[int, str, bytes]:
        if any("stream" in body for _, body in requests):
            return _json(400, {"error": {"message": "stream is not allowed in a batch"}})
        self.counts[f"create-{api}"] += 1
        n = sum(1 for b in self.batches.values() if b.api == api) + 1
        batch_id = {"openai": f"batch_{n}", "anthropic": f"msgbatch_{n}",
                    "gemini": f"batches/gem{n}"}[api]
        fate = self.fates.popleft() if self.fates else "completed"
        self.batches[batch_id] = Batch(api, requests, fate, model=model, endpoint=endpoint)
        return _json(200, self._view(batch_id, done=False))

    def _status(self, api: str, batch_id: str) -> tuple[int, str, bytes]:
        batch = self.batches.get(batch_id)
        if batch is None or batch.api != api:
            return _json(404, {"error": {"message": f"no batch {batch_id}"}})
        self.counts[f"poll-{api}"] += 1
        batch.polls += 1
        return _json(200, self._view(batch_id, done=batch.polls > self.pending_polls))

    # -- each API's view of a batch ---------------------------------------------------------

    def _view(self, batch_id: str, done: bool) -> dict[str, Any]:
        batch = self.batches[batch_id]
        if batch.api == "openai":
            return self._openai_view(batch_id, batch, done)
        if batch.api == "anthropic":
            return {"id": batch_id, "type": "message_batch",
                    "processing_status": "ended" if done else "in_progress",
                    "request_counts": {"processing": 0 if done else len(batch.requests),
                                       "succeeded": 0, "errored": 0, "canceled": 0,
                                       "expired": 0},
                    "results_url": f"{self.results_base or self.url}/v1/messages/batches/"
                                   f"{batch_id}/results"
                    if done else None}
        state = {"completed": "BATCH_STATE_SUCCEEDED", "failed": "BATCH_STATE_FAILED",
                 "expired": "BATCH_STATE_EXPIRED"}[batch.fate] if done else \
            "BATCH_STATE_PENDING"
        view: dict[str, Any] = {"name": batch_id, "metadata": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                     "GenerateContentBatch", "model": f"models/{batch.model}",
            "state": state}, "done": done}
        if done and batch.fate == "completed":
            view["response"] = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                         "GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": [
                    self._gemini_result(key, body) for key, body in batch.requests]}}
        return view

    def _openai_view(self, batch_id: str, batch: Batch, done: bool) -> dict[str, Any]:
        view: dict[str, Any] = {"id": batch_id, "object": "batch",
                                "endpoint": batch.endpoint,
                                "status": "in_progress" if done is False else batch.fate,
                                "output_file_id": None, "error_file_id": None,
                                "request_counts": {"total": len(batch.requests),
                                                   "completed": 0, "failed": 0}}
        if not done:
            view["status"] = "validating" if batch.polls == 0 else "in_progress"
            return view
        if batch.fate == "failed":
            view["errors"] = {"object": "list", "data": [
                {"code": "token_limit_exceeded", "message": "Enqueued token limit reached"}]}
            return view
        if batch.fate == "completed":
            good, bad = [], []
            for n, (custom_id, body) in enumerate(batch.requests):
                protocol = "openai-responses" if batch.endpoint == "/v1/responses" else \
                    "openai-chat"
                status, reply = self.answer(protocol, body)
                line = {"id": f"batch_req_{n}", "custom_id": custom_id,
                        "response": {"status_code": status, "request_id": f"req_{n}",
                                     "body": reply}, "error": None}
                (good if status == 200 else bad).append(json.dumps(line))
            for key, lines in (("output_file_id", good), ("error_file_id", bad)):
                if lines:
                    file_id = f"file-{len(self.files) + 1}"
                    self.files[file_id] = ("\n".join(lines) + "\n").encode()
                    view[key] = file_id
            view["request_counts"].update(completed=len(good), failed=len(bad))
        return view

    def _anthropic_results(self, batch_id: str) -> tuple[int, str, bytes]:
        batch = self.batches[batch_id]
        self.counts["results-anthropic"] += 1
        lines = []
        for custom_id, body in batch.requests:
            if batch.fate == "expired":
                result: dict[str, Any] = {"type": "expired"}
            else:
                status, reply = self.answer("anthropic", body)
                result = {"type": "succeeded", "message": reply} if status == 200 else \
                    {"type": "errored", "error": reply}
            lines.append(json.dumps({"custom_id": custom_id, "result": result}))
        return 200, "application/binary", ("\n".join(lines) + "\n").encode()

    def _gemini_result(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        status, reply = self.answer("gemini", body)
        if status == 200:
            return {"response": reply, "metadata": {"key": key}}
        codes = {400: 3, 403: 7, 404: 5, 429: 8, 500: 13}
        return {"error": {"code": codes[status], "message": reply["error"]["message"]},
                "metadata": {"key": key}}


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value).encode()


# -- a whole reply as its provider streams it ------------------------------------------------

def as_sse(protocol: str, reply: dict[str, Any]) -> str:
    """The SSE stream the provider sends for ``reply`` (a whole non-streamed body)."""
    if protocol == "gemini":  # every event is a whole GenerateContentResponse
        return f"data: {json.dumps(reply)}\r\n\r\n"
    if protocol == "anthropic":
        return _anthropic_sse(reply)
    return _chat_sse(reply)


def _chat_sse(reply: dict[str, Any]) -> str:
    head = {k: reply[k] for k in ("id", "created", "model", "service_tier", "system_fingerprint")
            if k in reply}
    choice = reply["choices"][0]
    message = choice["message"]
    chunks = [
        {**head, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {**head, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"content": message.get("content") or ""},
             "finish_reason": None}]},
        {**head, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
        {**head, "object": "chat.completion.chunk", "choices": [], "usage": reply["usage"]},
    ]
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def _anthropic_sse(reply: dict[str, Any]) -> str:
    def event(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

    usage = reply["usage"]
    start = {**reply, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**usage, "output_tokens": 1}}
    out = [event("message_start", {"message": start})]
    for index, block in enumerate(reply["content"]):
        out.append(event("content_block_start", {"index": index,
                                                 "content_block": {"type": "text", "text": ""}}))
        out.append(event("content_block_delta", {"index": index, "delta": {
            "type": "text_delta", "text": block["text"]}}))
        out.append(event("content_block_stop", {"index": index}))
    out.append(event("message_delta", {"delta": {"stop_reason": reply["stop_reason"],
                                                 "stop_sequence": None},
                                       "usage": {"output_tokens": usage["output_tokens"]}}))
    out.append(event("message_stop", {}))
    return "".join(out)
