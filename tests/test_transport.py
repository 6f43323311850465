"""The transport's fault suite, against a real HTTP server on 127.0.0.1 (tests/loopback.py).

Most cases use a tiny SSE dialect defined here, so they pin the transport and not a provider's
parser; the end-to-end cases at the bottom replay real recorded traffic through the real
protocols.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.events import (
    Finish,
    ReasoningDelta,
    Retrying,
    StreamError,
    TextDelta,
    UsageReport,
)
from composer.models.parts import Message, ReasoningPart, TextPart
from composer.models.settings import RequestSettings
from composer.providers.base import Frame, HttpRequest, RequestRefused, WireProtocol
from composer.providers.headers import retry_after
from composer.providers.http import new_client
from composer.providers.transport import (
    Call,
    CallConfig,
    describe_error,
    retry_delay,
    run_call,
    safe_url,
)
from tests.loopback import Reply

# -- a tiny test dialect ----------------------------------------------------------------------


class DialectParser:
    def __init__(self) -> None:
        self.done = False

    def feed(self, frame: Frame) -> list:
        data = json.loads(frame.data)
        if frame.event == "text":
            return [TextDelta(key="t", text=data["text"])]
        if frame.event == "think":
            return [ReasoningDelta(key="r", text=data["text"])]
        if frame.event == "usage":
            return [UsageReport(input=data["in"], output=data["out"])]
        if frame.event == "done":
            self.done = True
            return [Finish(reason=data["reason"])]
        return []  # unknown events are ignored

    def close(self) -> list:
        if self.done:
            return []
        return [StreamError("the stream ended before its done event (truncated)",
                            kind="truncated")]


class Dialect(WireProtocol):
    name = "test-dialect"
    framing = "sse"

    def build_request(self, conversation, *, base_url, api_key):
        if any(not m.parts for m in conversation.messages):
            raise RequestRefused("empty message", message_index=0)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return HttpRequest("POST", f"{base_url}/stream", headers=headers,
                           body={"messages": [m.to_dict() for m in conversation.messages]})

    def new_parser(self):
        return DialectParser()

    def parse_error(self, status, body, headers):
        err = json.loads(body)["error"]
        return StreamError(err["message"], kind="http", status=status,
                           provider_type=err.get("type"), request_id=headers.get("request-id"))


DIALECT = Dialect()
FAST = CallConfig(backoff_base=0.01, backoff_max=0.05, read_timeout=5, connect_timeout=2)


def sse(*events: tuple[str, dict]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


GOOD = sse(("think", {"text": "Let me see. "}), ("think", {"text": "Yes."}),
           ("text", {"text": "Hello"}), ("text", {"text": ", world"}),
           ("usage", {"in": 5, "out": 3}), ("done", {"reason": "stop"}))


def conversation(base_url: str) -> Conversation:
    return Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider="custom", base_url=base_url,
                                                 model="m1"))


async def send(url: str, config: CallConfig = FAST, on_event=None):
    call = Call(conversation(url), api_key="sk-test", config=config, protocol=DIALECT)
    seen = []

    def record(event, index):
        seen.append(event)
        if on_event:
            on_event(event, index)

    exchange = await run_call(call, on_event=record)
    return exchange, seen, call


def error_body(message: str, type_: str) -> dict:
    return {"error": {"type": type_, "message": message}}


# -- success and framing ----------------------------------------------------------------------


async def test_a_stream_assembles_into_an_exchange_with_timing_and_log(loopback):
    loopback.queue(Reply.sse(GOOD))
    exchange, _, call = await send(loopback.url)
    parts = exchange.messages[0].parts
    assert [type(p) for p in parts] == [ReasoningPart, TextPart]
    assert parts[0].text == "Let me see. Yes." and parts[1].text == "Hello, world"
    assert exchange.usage.input == 5 and exchange.usage.output == 3
    extras = exchange.composer
    assert extras.stop_reason == "stop" and extras.error is None and extras.status == 200
    assert extras.protocol == "test-dialect" and extras.url == f"{loopback.url}/stream"
    assert [e.event for e in extras.events] == ["think", "think", "text", "text", "usage", "done"]
    assert all(0 <= e.t < 5 for e in extras.events)
    t = extras.timing
    assert 0 <= t.first_byte_ms <= t.first_token_ms <= t.total_ms
    assert exchange.prompt.messages[0].plain_text == "hi"
    # The request went out as built, and the key never reached the saved exchange.
    assert loopback.received[0].json["messages"][0]["parts"][0]["text"] == "hi"
    assert loopback.received[0].headers["Authorization"] == "Bearer sk-test"
    assert "sk-test" not in json.dumps(exchange.to_dict())


async def test_crlf_framing(loopback):
    loopback.queue(Reply.sse(GOOD.replace("\n", "\r\n")))
    exchange, _, _ = await send(loopback.url)
    assert exchange.messages[0].plain_text == "Hello, world"
    assert exchange.composer.stop_reason == "stop"


async def test_gzip_body_is_decoded(loopback):
    loopback.queue(Reply.sse(GOOD, gzip=True))
    exchange, _, _ = await send(loopback.url)
    assert exchange.messages[0].plain_text == "Hello, world"


async def test_comment_keepalives_and_unknown_events_are_ignored(loopback):
    body = (": OPENROUTER PROCESSING\n\n" + sse(("text", {"text": "A"})) +
            ": keep-alive\n\n" + sse(("mystery", {"x": 1}), ("text", {"text": "B"}),
                                     ("done", {"reason": "stop"})))
    loopback.queue(Reply.sse(body))
    exchange, _, _ = await send(loopback.url)
    assert exchange.messages[0].plain_text == "AB"
    assert exchange.composer.stop_reason == "stop"
    assert "mystery" in [e.event for e in exchange.composer.events]


async def test_slow_drip_of_tiny_chunks_still_assembles(loopback):
    raw = GOOD.encode()
    chunks = [raw[i:i + 7] for i in range(0, len(raw), 7)]
    loopback.queue(Reply(chunks=chunks, delay=0.002,
                         headers={"Content-Type": "text/event-stream"}))
    exchange, _, _ = await send(loopback.url)
    assert len(chunks) > 30
    assert exchange.messages[0].parts[1].text == "Hello, world"
    assert exchange.composer.stop_reason == "stop"


# -- errors before the stream -----------------------------------------------------------------


async def test_401_with_a_provider_error_body_is_one_clear_error(loopback):
    loopback.queue(Reply.json(error_body("invalid x-api-key", "authentication_error"),
                              status=401, headers={"request-id": "req_401"}))
    exchange, seen, _ = await send(loopback.url)
    errors = [e for e in seen if isinstance(e, StreamError)]
    assert len(errors) == 1 and not any(isinstance(e, Retrying) for e in seen)
    assert describe_error(errors[0]) == \
        "401 authentication_error: invalid x-api-key (request req_401)"
    assert exchange.composer.error.status == 401 and exchange.composer.stop_reason == "error"
    assert exchange.messages == [] and len(loopback.received) == 1


async def test_429_with_retry_after_then_success(loopback):
    loopback.queue(
        Reply.json(error_body("slow down", "rate_limit_error"), status=429,
                   headers={"retry-after": "0.15"}),  # FAST's own backoff is 0.01 s
        Reply.sse(GOOD),
    )
    start = time.monotonic()
    exchange, seen, _ = await send(loopback.url)
    elapsed = time.monotonic() - start
    retries = [e for e in seen if isinstance(e, Retrying)]
    assert len(retries) == 1
    assert retries[0].delay == pytest.approx(0.15) and retries[0].attempt == 1
    assert "429 rate_limit_error: slow down" in retries[0].reason
    assert elapsed >= 0.15  # the server's wait was honoured
    assert exchange.messages[0].plain_text == "Hello, world"
    assert exchange.composer.error is None and len(loopback.received) == 2


async def test_retry_after_ms_wins_over_retry_after(loopback):
    loopback.queue(
        Reply.json(error_body("busy", "overloaded_error"), status=529,
                   headers={"retry-after-ms": "40", "retry-after": "30"}),
        Reply.sse(GOOD),
    )
    exchange, seen, _ = await send(loopback.url)
    assert [e.delay for e in seen if isinstance(e, Retrying)] == [pytest.approx(0.04)]
    assert exchange.composer.stop_reason == "stop"


async def test_500_three_times_gives_up_with_the_last_error(loopback):
    loopback.queue(*[Reply.json(error_body(f"boom {i}", "api_error"), status=500)
                     for i in range(3)])
    exchange, seen, _ = await send(loopback.url)
    assert [e.attempt for e in seen if isinstance(e, Retrying)] == [1, 2]
    errors = [e for e in seen if isinstance(e, StreamError)]
    assert len(errors) == 1 and errors[0].message == "boom 2" and errors[0].status == 500
    assert len(loopback.received) == 3
    assert exchange.composer.error.message == "boom 2"


async def test_529_overloaded_is_retried_and_x_should_retry_false_is_obeyed(loopback):
    loopback.queue(
        Reply.json(error_body("Overloaded", "overloaded_error"), status=529),
        Reply.json(error_body("Overloaded", "overloaded_error"), status=529,
                   headers={"x-should-retry": "false"}),
    )
    exchange, seen, _ = await send(loopback.url)
    assert len([e for e in seen if isinstance(e, Retrying)]) == 1
    assert exchange.composer.error.status == 529 and len(loopback.received) == 2


async def test_connection_refused_is_a_network_error_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exchange, seen, _ = await send(f"http://127.0.0.1:{port}")
    assert len([e for e in seen if isinstance(e, Retrying)]) == 2
    error = exchange.composer.error
    assert error.kind == "network" and "cannot connect to 127.0.0.1" in error.message


# -- errors during the stream -----------------------------------------------------------------


async def test_disconnect_mid_stream_keeps_partial_parts(loopback):
    loopback.queue(Reply.sse(GOOD, disconnect_after=3))
    exchange, seen, _ = await send(loopback.url)
    assert not any(isinstance(e, Retrying) for e in seen)  # the body had started: no retry
    assert exchange.messages[0].parts[0].text == "Let me see. Yes."
    assert exchange.messages[0].parts[1].text == "Hello"
    assert exchange.composer.stop_reason == "error"
    assert exchange.composer.error.kind == "network"


async def test_truncated_stream_without_terminal_event(loopback):
    loopback.queue(Reply.sse(sse(("text", {"text": "Half"}))))
    exchange, _, _ = await send(loopback.url)
    assert exchange.messages[0].plain_text == "Half"
    assert exchange.composer.error.kind == "truncated"
    assert "truncated" in exchange.composer.error.message
    assert exchange.composer.stop_reason == "error"


async def test_idle_read_timeout(loopback):
    loopback.queue(Reply.sse(sse(("text", {"text": "A"}), ("text", {"text": "B"})), delay=0.6))
    config = CallConfig(read_timeout=0.1, backoff_base=0.01)
    exchange, seen, _ = await send(loopback.url, config)
    error = exchange.composer.error
    assert error.kind == "timeout" and "0.1 s" in error.message
    assert not any(isinstance(e, Retrying) for e in seen)


async def test_cancellation_mid_stream_returns_at_once_with_parts_kept(loopback):
    body = sse(("text", {"text": "first"}), *[("text", {"text": "."})] * 20,
               ("done", {"reason": "stop"}))
    go_on = threading.Event()  # the server holds the rest back until then
    loopback.queue(Reply.sse(body, stall_before=1, stall=10, until=go_on))
    got_first = asyncio.Event()

    def on_event(event, index):
        if isinstance(event, TextDelta):
            got_first.set()

    task = asyncio.create_task(send(loopback.url, on_event=on_event))
    await asyncio.wait_for(got_first.wait(), 5)
    start = time.monotonic()
    task.cancel()
    exchange, _, _ = await task
    assert time.monotonic() - start < 0.2
    assert exchange.messages[0].plain_text.startswith("first")
    assert exchange.composer.stop_reason == "cancelled"
    assert exchange.composer.error.kind == "cancelled"
    # The connection was really closed: the server's next writes find nobody there.
    go_on.set()
    assert await asyncio.to_thread(loopback.client_went_away.wait, 5)


async def test_cancellation_can_be_reraised(loopback):
    go_on = threading.Event()  # the server holds the rest back until then
    loopback.queue(Reply.sse(GOOD, stall_before=2, stall=10, until=go_on))
    call = Call(conversation(loopback.url), config=FAST, protocol=DIALECT)
    assembler = Assembler()
    streaming = asyncio.Event()
    task = asyncio.create_task(run_call(call, assembler, reraise_cancel=True,
                                        on_event=lambda _event, _index: streaming.set()))
    await asyncio.wait_for(streaming.wait(), 5)
    task.cancel()  # mid-stream
    with pytest.raises(asyncio.CancelledError):
        await task
    go_on.set()
    assert assembler.stop_reason == "cancelled"


async def test_a_cancel_while_a_burst_is_read_closes_the_response_in_its_own_task(loopback):
    """The window's qasync loop sets no asyncgen hooks, so httpx's byte generators, left at a
    yield by a cancel that lands while a burst is being parsed, were closed by the garbage
    collector outside any task: "async generator ignored GeneratorExit", an error in the
    window's loop. Here too without hooks: the call closes them itself, in its task."""
    burst = sse(*[("text", {"text": "x"})] * 50, ("done", {"reason": "stop"})).encode()
    loopback.queue(Reply(chunks=[burst], headers={"Content-Type": "text/event-stream"}))
    unraisable = []
    hooks, unraisable_hook = sys.get_asyncgen_hooks(), sys.unraisablehook
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    sys.unraisablehook = unraisable.append
    try:
        async with new_client() as client:
            call = Call(conversation(loopback.url), config=FAST, client=client,
                        protocol=DIALECT)

            def on_event(event, _index):
                if isinstance(event, TextDelta) and not sending.cancelling():
                    sending.cancel()  # at the first event: the rest of the burst is unread

            sending = asyncio.ensure_future(run_call(call, on_event=on_event))
            exchange = await sending
            gc.collect()
            assert exchange.composer.stop_reason == "cancelled"
            assert exchange.messages[0].plain_text.startswith("x")
    finally:
        sys.set_asyncgen_hooks(*hooks)
        sys.unraisablehook = unraisable_hook
    assert unraisable == []


async def test_a_shared_client_is_used_and_left_open(loopback):
    loopback.queue(Reply.sse(GOOD), Reply.sse(GOOD))
    async with new_client() as client:
        for _ in range(2):
            call = Call(conversation(loopback.url), config=FAST, client=client,
                        protocol=DIALECT)
            exchange = await run_call(call)
            assert exchange.messages[0].plain_text == "Hello, world"
        assert not client.is_closed


# -- refusals before sending ------------------------------------------------------------------


def test_build_errors_are_raised_when_the_call_is_made():
    conv = conversation("http://127.0.0.1:9")
    conv.messages.append(Message(role="user", parts=[]))
    with pytest.raises(RequestRefused, match="empty message"):
        Call(conv, protocol=DIALECT)


def test_a_bad_base_url_or_provider_is_refused():
    conv = conversation("not a url")
    with pytest.raises(RequestRefused, match="not an http"):
        Call(conv, protocol=DIALECT)
    conv.settings.provider = "nonesuch"
    with pytest.raises(RequestRefused, match="unknown provider 'nonesuch'"):
        Call(conv, protocol=DIALECT)


def test_a_hosted_provider_without_a_key_is_refused_naming_where_keys_come_from():
    conv = Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider="groq", model="m"))
    with pytest.raises(RequestRefused, match="GROQ_API_KEY"):
        Call(conv, protocol=DIALECT)


def test_runs_once(loopback):
    call = Call(conversation(loopback.url), protocol=DIALECT)
    call._started = True
    with pytest.raises(RuntimeError):
        asyncio.run(anext(call.events()))


# -- retry arithmetic -------------------------------------------------------------------------


def test_retry_after_forms():
    h = httpx.Headers
    assert retry_after(h({"retry-after-ms": "250"})) == 0.25
    assert retry_after(h({"retry-after": "2.5"})) == 2.5
    now = datetime(2026, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after(h({"retry-after": date}), now) == pytest.approx(7)
    assert retry_after(h({"retry-after": "soon"})) is None
    assert retry_after(h({})) is None


def test_backoff_grows_is_capped_and_ignores_absurd_server_waits():
    config = CallConfig(backoff_base=0.5, backoff_max=8.0, retry_after_max=60)
    delays = [retry_delay(n, config, None) for n in range(8)]
    assert 0.375 <= delays[0] <= 0.5 and 0.75 <= delays[1] <= 1.0
    assert max(delays) <= 8.0
    assert retry_delay(0, config, 3.0) == 3.0
    assert retry_delay(0, config, 3600.0) <= 0.5


def test_safe_url_drops_a_key_from_the_query():
    assert safe_url("https://x.test/v1/m:stream?alt=sse&key=SECRET") == \
        "https://x.test/v1/m:stream?alt=sse"
    assert safe_url("https://x.test/v1/chat") == "https://x.test/v1/chat"


# -- end to end: real protocols, real recorded bytes ------------------------------------------

E2E = [
    "TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml",
    "TestOpenAICompatibleThinking/llama-cpp-gpt-oss/thinking-streaming.yaml",
    "TestGoogleThinking/gemini-2.5-flash/thinking-streaming.yaml",
    "TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/thinking-streaming.yaml",
]


def recorded_streams(name: str):
    from tests import cassettes
    from tests.conftest import recordings_or_skip

    path = recordings_or_skip() / name
    if not path.exists():
        pytest.skip(f"{name} is not in the recordings")
    cassette = cassettes.load(path)
    return [(cassettes.protocol_of(it), it) for it in cassette.interactions
            if it.status == 200 and it.streaming]


@pytest.mark.parametrize("name", E2E)
async def test_recorded_streams_through_the_real_protocols(loopback, name):
    streams = recorded_streams(name)
    assert streams
    for protocol, interaction in streams:
        raw = interaction.response_body.encode()
        # Odd-sized chunks: frames and UTF-8 characters split anywhere.
        loopback.queue(Reply(chunks=[raw[i:i + 37] for i in range(0, len(raw), 37)],
                             headers={"Content-Type": "text/event-stream"}))
        model = (interaction.request_json or {}).get("model") or "gemini-2.5-flash"
        conv = Conversation(messages=[Message.text("user", "hi")],
                            settings=RequestSettings(provider=protocol, base_url=loopback.url,
                                                     model=model,
                                                     options={"max_tokens": 4096}))
        exchange = await run_call(Call(conv, api_key="k", config=FAST))
        assert exchange.composer.error is None, (name, exchange.composer.error)
        assert exchange.composer.stop_reason not in ("error", "unknown")
        assert exchange.messages and exchange.messages[0].parts
        assert exchange.composer.protocol == protocol
        assert exchange.composer.events and exchange.composer.timing.first_token_ms is not None


async def test_anthropic_529_overloaded_then_the_recorded_stream(loopback):
    [(_, interaction), *_] = recorded_streams(E2E[0])
    loopback.queue(
        Reply.json({"type": "error", "error": {"type": "overloaded_error",
                                               "message": "Overloaded"}}, status=529,
                   headers={"request-id": "req_529", "retry-after": "0"}),
        Reply.sse(interaction.response_body),
    )
    conv = Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider="anthropic", base_url=loopback.url,
                                                 model="claude-sonnet-4-20250514",
                                                 options={"max_tokens": 4096}))
    seen = []
    exchange = await run_call(Call(conv, api_key="k", config=FAST),
                              on_event=lambda e, i: seen.append(e))
    [retry] = [e for e in seen if isinstance(e, Retrying)]
    assert retry.delay == 0 and retry.reason == \
        "529 overloaded_error: Overloaded (request req_529)"
    assert exchange.composer.error is None and exchange.composer.status == 200
    assert {p.type for p in exchange.messages[0].parts} == {"reasoning", "tool_call"}


async def test_a_big_read_comes_in_slices_with_the_pace_awaited_between_them(loopback,
                                                                             monkeypatch):
    from composer.providers import pace

    monkeypatch.setattr(pace, "SLICE", 0.0)  # a slice is the least: one check's worth
    turns = []

    async def waiter() -> None:
        turns.append(time.monotonic())
        await asyncio.sleep(0)

    monkeypatch.setattr(pace, "_waiter", waiter)
    body = sse(*[("text", {"text": f"w{i} "}) for i in range(1000)], ("done", {"reason": "stop"}))
    loopback.queue(Reply(chunks=[body.encode()],  # one chunk: it arrives in a few reads at most
                         headers={"Content-Type": "text/event-stream"}))
    call = Call(conversation(loopback.url), api_key="sk-test", config=FAST, protocol=DIALECT)
    batches = [batch async for batch in call.batches()]
    events = [e for batch in batches for e in batch]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "".join(
        f"w{i} " for i in range(1000))
    assert isinstance(events[-1], Finish)
    # Thousands of events in a read do not go in one batch: a turn (the pace) after each slice.
    assert len(batches) >= 1000 // 32 and max(len(b) for b in batches) <= 32
    assert len(turns) >= len(batches) - 1
