"""The fault table: every fault a loopback server can produce, on each of the four protocols,
as data shared by its two runs: all 9 faults x 4 protocols through the transport and assembler
(tests/test_fault_table.py, no Qt) and a representative set through the window
(tests/views/test_fault_table.py)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field

from tests.loopback import Reply

PIECES = ["Hello ", "from ", "the ", "loopback ", "server."]
FULL = "".join(PIECES)
# The read timeout of every run in the table: the idle-timeout fault stalls for four times it.
READ_TIMEOUT_S = 0.6


def _sse(events: list[tuple[str | None, dict]]) -> str:
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {json.dumps(data)}")
    return "\n\n".join(out) + "\n\n"


# -- one good stream per protocol, as (events before the end, the end) -------------------------

def _chat() -> tuple[list, list]:
    def chunk(delta, finish=None):
        return (None, {"id": "c1", "object": "chat.completion.chunk", "model": "m",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    body = [chunk({"role": "assistant", "content": ""})] + [chunk({"content": p}) for p in PIECES]
    return body, [chunk({}, "stop")]


def _responses() -> tuple[list, list]:
    msg = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress",
           "content": []}
    text = {"type": "output_text", "text": FULL, "annotations": []}
    body = [("response.created", {"type": "response.created", "response": {
                "id": "resp_1", "model": "m", "status": "in_progress", "output": []}}),
            ("response.output_item.added", {"type": "response.output_item.added",
                                            "output_index": 0, "item": msg}),
            ("response.content_part.added", {"type": "response.content_part.added",
                                             "item_id": "msg_1", "output_index": 0,
                                             "content_index": 0,
                                             "part": {"type": "output_text", "text": ""}})]
    body += [("response.output_text.delta", {"type": "response.output_text.delta",
                                             "item_id": "msg_1", "output_index": 0,
                                             "content_index": 0, "delta": p}) for p in PIECES]
    done = {**msg, "status": "completed", "content": [text]}
    end = [("response.output_text.done", {"type": "response.output_text.done",
                                          "item_id": "msg_1", "output_index": 0,
                                          "content_index": 0, "text": FULL}),
           ("response.output_item.done", {"type": "response.output_item.done",
                                          "output_index": 0, "item": done}),
           ("response.completed", {"type": "response.completed", "response": {
               "id": "resp_1", "model": "m", "status": "completed", "output": [done],
               "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}}})]
    return body, end


def _anthropic() -> tuple[list, list]:
    body = [("message_start", {"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                "content": [], "stop_reason": None,
                "usage": {"input_tokens": 3, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}})]
    body += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": p}})
             for p in PIECES]
    end = [("content_block_stop", {"type": "content_block_stop", "index": 0}),
           ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                              "usage": {"output_tokens": 5}}),
           ("message_stop", {"type": "message_stop"})]
    return body, end


def _gemini() -> tuple[list, list]:
    def chunk(parts, finish=None):
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return (None, {"candidates": [candidate], "modelVersion": "m",
                       "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 5}})
    return [chunk([{"text": p}]) for p in PIECES], [chunk([{"text": ""}], "STOP")]


def _error_json(protocol: str, status: int, message: str) -> dict:
    if protocol == "anthropic":
        kind = {401: "authentication_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if protocol == "gemini":
        return {"error": {"code": status, "message": message, "status": "UNAVAILABLE"}}
    return {"error": {"message": message, "type": "server_error", "code": None}}


@dataclass
class Protocol:
    name: str
    provider: str
    stream: object  # () -> (body events, end events)
    path: str = ""

    def good(self, **kw) -> Reply:
        body, end = self.stream()
        return Reply.sse(_sse(body + end) + ("data: [DONE]\n\n" if self.name == "chat" else ""),
                         **kw)

    def truncated(self) -> Reply:
        body, _end = self.stream()  # the body ends cleanly, in the middle of the reply
        return Reply.sse(_sse(body[:-2]))

    def malformed(self) -> Reply:
        body, end = self.stream()
        raw = _sse(body[:4]) + "data: {\"oops\": [1, 2\n\n" + _sse(body[4:] + end)
        return Reply.sse(raw)


PROTOCOLS = {
    "chat": Protocol("chat", "openai-chat", _chat, "/v1"),
    "responses": Protocol("responses", "openai", _responses, "/v1"),
    "anthropic": Protocol("anthropic", "anthropic", _anthropic),
    "gemini": Protocol("gemini", "gemini", _gemini),
}
# Events before the fault in the mid-stream faults carry this much of the reply.
PARTIAL = {"chat": "Hello from ", "responses": "Hello ", "anthropic": "Hello from ",
           "gemini": "Hello from the "}


@dataclass
class Fault:
    name: str
    replies: object  # (Protocol) -> list[Reply]
    kinds: tuple[str, ...] = ()  # ErrorInfo.kind shown; () when the run succeeds in the end
    status: int | None = None
    partial: bool = False  # part of the reply arrived before the fault
    refused: bool = False  # nothing listens on the port until Retry
    idle: bool = False
    words: tuple[str, ...] = field(default_factory=tuple)  # in the one error line


def _statuses(status: int, n: int, message: str):
    return lambda p: [Reply.json(_error_json(p.name, status, message), status=status)] * n


FAULTS = [
    Fault("401", _statuses(401, 1, "invalid api key"), ("http",), 401,
          words=("401", "invalid api key")),
    Fault("429-then-success", lambda p: [
        Reply.json(_error_json(p.name, 429, "slow down"), status=429,
                   headers={"retry-after-ms": "30", "retry-after": "0"}), p.good()]),
    # 5xx and 529 are retried twice before the error shows.
    Fault("500", _statuses(500, 3, "internal trouble"), ("http",), 500,
          words=("500", "internal trouble")),
    Fault("529", _statuses(529, 3, "overloaded"), ("http",), 529,
          words=("529", "overloaded")),
    Fault("disconnect", lambda p: [p.good(disconnect_after=4)], ("network",), partial=True,
          words=("connection", "lost")),
    Fault("truncated", lambda p: [p.truncated()], ("truncated",), partial=True,
          words=("ended",)),
    Fault("connection-refused", lambda p: [], ("network",), refused=True,
          words=("connect",)),
    Fault("idle-timeout", lambda p: [p.good(stall_before=4, stall=READ_TIMEOUT_S * 4)],
          ("timeout",), partial=True, idle=True, words=("read timeout",)),
    Fault("malformed-event", lambda p: [p.malformed()], ("provider",), partial=True,
          words=("unreadable stream event",)),
]


# Each fault through the window, on a protocol chosen so that every protocol is there too (the
# transport run covers every pair).
WINDOW_CASES = [(list(PROTOCOLS.values())[i % len(PROTOCOLS)], fault)
                for i, fault in enumerate(FAULTS)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
