"""The fault table through the window: every fault a loopback server can produce, on each of the
four protocols. For each: the window shows one clear error, the table is untouched, the part of
the reply that arrived stays, the window stays responsive (a 5 ms timer keeps firing) and Retry
sends again and succeeds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.results.blocks import ErrorBlock, TextBlock
from tests.loopback import LoopbackServer, Reply

PIECES = ["Hello ", "from ", "the ", "loopback ", "server."]
FULL = "".join(PIECES)
# The most the 5 ms timer may go without firing while a run is on. Laying out the reply's first
# widgets costs 40-160 ms on a loaded two-core machine; a GUI thread waiting on the network
# would stop it for the read timeout at least, which is longer.
MAX_GAP_S = 0.4
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ticks:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks."""

    def __init__(self) -> None:
        self.count = 0
        self.max_gap = 0.0
        self._last = time.monotonic()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self._last)
        self._last = now
        self.count += 1

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def http_client(qloop, qtbot):
    """One client for the window's runs, as the app has (its set-up, TLS context included, is
    not part of what a Send costs)."""
    client = httpx.AsyncClient(follow_redirects=True)
    yield client
    closing = asyncio.ensure_future(client.aclose())
    qtbot.waitUntil(closing.done, timeout=3000)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
@pytest.mark.parametrize("protocol", list(PROTOCOLS.values()), ids=list(PROTOCOLS))
def test_fault_through_the_window(qtbot, run_window, http_client, protocol: Protocol,
                                  fault: Fault):
    port = _free_port()
    server = None if fault.refused else LoopbackServer(port).start()
    try:
        if server is not None:
            server.queue(*fault.replies(protocol))
        messages = [Message.text("system", "Be brief."), Message.text("user", "Say hello.")]
        window = run_window(Conversation(messages=messages, settings=RequestSettings(
            provider=protocol.provider, model="m",
            base_url=f"http://127.0.0.1:{port}{protocol.path}")), http_client=http_client)
        run = window.run_ui
        run.call_config.read_timeout = READ_TIMEOUT_S
        run.call_config.connect_timeout = 2.0
        before = window.document.conversation.model_copy(deep=True)
        undo_steps = window.undo_stack.count()
        ticks = Ticks()
        run.send_action.trigger()
        qtbot.waitUntil(lambda: run.state in ("done", "error"), timeout=8000)
        ticks.stop()

        # Responsive: the GUI thread never stopped for the network.
        assert ticks.count > 0 and ticks.max_gap < MAX_GAP_S, ticks.max_gap
        if fault.kinds:  # a failed run puts nothing into the table
            assert window.document.conversation == before
            assert window.undo_stack.count() == undo_steps
        else:  # a good one is kept (Keep Replies), one undo step
            assert window.document.messages == [*before.messages, *run.current.messages]
            window.undo_stack.undo()
            assert window.document.conversation == before
        errors = [b for b in run.pane.findChildren(ErrorBlock) if not b.isHidden()]
        if not fault.kinds:
            assert run.state == RunState.DONE and errors == []
            assert run.pane.blocks_of(TextBlock)[0].text == FULL
        else:
            # One clear error: one error part, one line in the status bar, no traceback.
            assert run.state == RunState.ERROR
            assert len(errors) == 1 and errors[0] is run.pane.error_block
            error = run.current.composer.error
            assert error.kind in fault.kinds, (error.kind, error.message)
            if fault.status is not None:
                assert error.status == fault.status
            line = window.status_state.text()
            assert line.startswith("Error: ") and "\n" not in line
            assert "Traceback" not in line and "Traceback" not in error.message
            for word in fault.words:
                assert word in line.lower() or word in error.message.lower(), (word, line)
            # The part that arrived stays, in the pane and in the exchange.
            if fault.partial:
                text = run.pane.blocks_of(TextBlock)[0].text
                assert text.startswith(PARTIAL[protocol.name]), text
                # What came after a malformed event is kept too; the others end the reply.
                assert fault.name == "malformed-event" or text != FULL, text
                assert run.current.messages[0].plain_text == text

        # Retry sends the same request again and this time it goes through.
        if server is None:
            server = LoopbackServer(port).start()
        server.queue(protocol.good())
        received = len(server.received)
        if errors:
            qtbot.mouseClick(errors[0].retry_button, Qt.MouseButton.LeftButton)
        else:
            run.retry()
        qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
        assert len(server.received) == received + 1
        assert run.pane.blocks_of(TextBlock)[0].text == FULL
        assert run.pane.error_block is None
        # The failed run put nothing into the table; the good one is kept (Keep Replies), once.
        kept = window.document.conversation
        assert kept.messages == [*before.messages, *run.current.messages]
        assert kept.model_copy(update={"messages": before.messages}) == before
        assert window.undo_stack.count() == undo_steps + 1
    finally:
        if server is not None:
            server.stop()


def test_the_fault_table_covers_every_fault_on_every_protocol():
    assert len(FAULTS) * len(PROTOCOLS) == 36
