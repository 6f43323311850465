"""Compare in the pure core: one conversation sent to several targets against real loopback
servers replaying recorded traffic of different protocols. Calls to one local server go one
after another (the server's own clock shows no overlap), different servers overlap; a failing
target ends with its error while the others finish; Stop cancels every column; the trust rule
holds per target."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message, TextPart
from composer.models.settings import RequestSettings
from composer.providers.keys import FoundKey
from composer.providers.presets import Preset
from composer.providers.transport import CallConfig
from composer.run.compare import Compare, file_names
from composer.run.state import RunState
from composer.run.targets import Target, parse_target
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import LoopbackServer, Reply

CHAT = "TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml"
ANTHROPIC = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"
KEY = "sk-compare-canary-77"


def recorded(name: str) -> str:
    return cassettes.load(recordings_or_skip() / name).interactions[0].response_body


def conversation(**settings) -> Conversation:
    return Conversation(messages=[Message.text("system", "You are a helpful assistant"),
                                  Message.text("user", "Say hi in Portuguese")],
                        settings=RequestSettings(**({"provider": "replay"} | settings)))


def key_store(preset: Preset) -> FoundKey:
    return FoundKey(KEY, "test")


def reply_text(exchange) -> str:
    return "".join(p.text for m in exchange.messages for p in m.parts if isinstance(p, TextPart))


@pytest.fixture
def second_server():
    server = LoopbackServer().start()
    yield server
    server.stop()


def run(compare: Compare):
    return asyncio.run(compare.run())


def overlap(a, b) -> bool:
    return a.started < b.ended and b.started < a.ended


def test_two_targets_on_one_local_server_go_one_after_another(loopback):
    body = recorded(CHAT)
    loopback.queue(Reply.sse(body, delay=0.02), Reply.sse(body, delay=0.02))
    targets = [parse_target(f"custom:{m},base_url={loopback.url}") for m in ("a", "b")]
    seen: list[tuple[int, str]] = []

    def listener(column, event, index):
        if event is None:
            seen.append((column.index, column.state))

    exchanges = run(Compare(conversation(), targets, listener=listener))

    first, second = loopback.received
    assert first.ended is not None and second.ended is not None
    assert first.ended <= second.started, "the second call started before the first ended"
    assert [r.json["model"] for r in loopback.received] == ["a", "b"]
    assert [reply_text(e) for e in exchanges] == ["Olá!"] * 2  # the recording's reply
    # The second waited in its queue while the first streamed, and each ran its course.
    assert seen.index((1, RunState.SENDING)) > seen.index((0, RunState.DONE))
    for i in (0, 1):
        states = [s for c, s in seen if c == i]
        assert states[0] == RunState.SENDING and states[-1] == RunState.DONE
        assert RunState.STREAMING in states


def test_targets_on_different_servers_stream_at_the_same_time(loopback, second_server):
    # Each reply takes 0.3 s (6 chunks, 18 chunks): long enough to overlap if they run at once.
    loopback.queue(Reply.sse(recorded(CHAT), delay=0.05))
    second_server.queue(Reply.sse(recorded(ANTHROPIC), delay=0.017))
    targets = [parse_target(f"custom:gpt-4o-mini,base_url={loopback.url}/v1"),
               parse_target(f"anthropic:claude-sonnet-4-20250514,base_url={second_server.url}")]

    compare = Compare(conversation(), targets, key_store=key_store)
    chat, claude = run(compare)

    a, b = loopback.received[0], second_server.received[0]
    assert overlap(a, b), "calls to two servers did not run at the same time"
    # Each target spoke its own protocol and got the key only where it is due.
    assert a.path == "/v1/chat/completions" and "authorization" not in {
        k.lower() for k in a.headers}
    assert b.path == "/v1/messages" and b.headers["x-api-key"] == KEY
    assert reply_text(chat) == "Olá!" and reply_text(claude).startswith("Olá! (That's")
    for column in compare.columns:
        m = column.metrics
        assert column.state == RunState.DONE and m.error is None
        assert m.first_token_ms is not None and m.elapsed_ms >= m.first_token_ms
        assert m.output_tokens and m.output_tokens > 0 and m.tokens_per_second
        assert m.stop_reason in ("stop", "end_turn")
    assert claude.usage.output == compare.columns[1].metrics.output_tokens


def test_a_failing_target_ends_with_its_error_and_the_others_finish(loopback, second_server):
    loopback.queue(Reply.json({"error": {"message": "the server broke", "type": "server_error"}},
                              status=500))
    second_server.queue(Reply.sse(recorded(CHAT), delay=0.01))
    with socket.socket() as s:  # a port nobody listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    targets = [parse_target(f"custom:x,base_url={loopback.url}"),
               parse_target(f"custom:y,base_url=http://127.0.0.1:{closed}/v1"),
               parse_target(f"custom:z,base_url={second_server.url}"),
               Target("nonesuch", "m"),  # as a file may hold it
               parse_target("anthropic:claude")]  # no key anywhere
    compare = Compare(conversation(), targets, config=CallConfig(retries=0))

    broken, refused, good, unknown, keyless = run(compare)

    assert (broken.composer.error.status == 500
            and "the server broke" in broken.composer.error.message)
    assert refused.composer.error.kind == "network"
    assert f"127.0.0.1:{closed}" in compare.columns[1].metrics.error or "127.0.0.1" in \
        refused.composer.error.message
    assert unknown.composer.error.kind == "refused" and "nonesuch" in unknown.composer.error.message
    assert good.composer.error is None and reply_text(good).strip()
    assert keyless.composer.error.kind == "refused" and "ANTHROPIC_API_KEY" in \
        keyless.composer.error.message
    assert [c.state for c in compare.columns] == [RunState.ERROR, RunState.ERROR, RunState.DONE,
                                                  RunState.REFUSED, RunState.REFUSED]
    assert compare.columns[0].metrics.outcome.startswith("error: 500")


def test_stop_cancels_every_column_and_each_keeps_what_arrived(loopback, second_server):
    body = recorded(ANTHROPIC)
    go_on = threading.Event()  # both servers hold the rest of their replies back until then
    loopback.queue(Reply.sse(body, stall_before=4, stall=10, until=go_on), Reply.sse(body))
    second_server.queue(Reply.sse(recorded(CHAT), stall_before=2, stall=10, until=go_on))
    targets = [parse_target(f"anthropic:m1,base_url={loopback.url}"),
               parse_target(f"anthropic:m2,base_url={loopback.url}"),  # queued behind m1
               parse_target(f"custom:m3,base_url={second_server.url}")]

    async def main():
        compare = Compare(conversation(), targets, key_store=key_store)
        task = asyncio.ensure_future(compare.run())
        while not any(c.assembler.parts() for c in compare.columns):
            await asyncio.sleep(0.01)
        states = [c.state for c in compare.columns]
        compare.stop()
        return compare, states, await task

    try:
        compare, before, exchanges = asyncio.run(main())
    finally:
        go_on.set()

    assert before[1] == RunState.QUEUED
    assert [c.state for c in compare.columns] == [RunState.STOPPED] * 3
    assert all(e.composer.error.kind == "cancelled" for e in exchanges)
    assert len(loopback.received) == 1  # the queued call was never sent
    assert any(e.messages for e in exchanges)  # the parts that arrived stay
    assert not compare.running


def test_a_key_goes_only_to_a_base_url_the_user_gave_the_target(loopback):
    loopback.queue(Reply.sse(recorded(ANTHROPIC)))
    # The file names the server; only the target that names it itself may send the key there.
    conv = conversation(provider="anthropic", model="claude", base_url=loopback.url)
    targets = [parse_target("anthropic:from-file"),
               parse_target(f"anthropic:typed,base_url={loopback.url}")]

    from_file, typed = run(Compare(conv, targets, key_store=key_store))

    assert from_file.composer.error.kind == "refused"
    assert "base_url" in from_file.composer.error.message
    assert typed.composer.error is None
    assert [r.json["model"] for r in loopback.received] == ["typed"]
    # Confirmed by the caller (--trust-base-url, a URL typed in the window): sent.
    loopback.queue(Reply.sse(recorded(ANTHROPIC)))
    (again,) = run(Compare(conv, targets[:1], key_store=key_store, chosen_base_url=True))
    assert again.composer.error is None and loopback.received[-1].headers["x-api-key"] == KEY


def test_one_column_can_be_sent_again(loopback):
    loopback.queue(Reply.json({"error": {"message": "busy"}}, status=400),
                   Reply.sse(recorded(CHAT)))
    compare = Compare(conversation(), [parse_target(f"custom:a,base_url={loopback.url}")],
                      config=CallConfig(retries=0))

    async def main():
        (first,) = await compare.run()
        return first, await compare.rerun(0)

    first, second = asyncio.run(main())
    assert first.composer.error.status == 400
    assert second.composer.error is None and reply_text(second).strip()
    assert compare.columns[0].state == RunState.DONE


def test_file_names_are_safe_and_distinct():
    targets = [parse_target(t) for t in (
        "ollama:llama3.2:1b", "ollama:llama3.2:1b,temperature=0", "openai:gpt-4o",
        "openai:GPT-4o", "custom:../../etc/passwd,base_url=http://x", "custom:a,label=..",
        "custom:b,label=a/b\\c:d*e?")]
    names = file_names(targets)
    assert names[:2] == ["ollama-llama3.2-1b.json", "ollama-llama3.2-1b-2.json"]
    assert names[2] == "openai-gpt-4o.json" and names[3].lower() != names[2].lower()
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(c.isalnum() or c in "._-" for c in name)
    assert names[5] == "target.json"


def test_targets_sharing_a_name_are_numbered_in_order():
    targets = [parse_target(t) for t in ("openai:a", "openai:a,temperature=0", "openai:b",
                                         "openai:a,temperature=1")]
    compare = Compare(conversation(), targets)
    assert [c.name for c in compare.columns] == ["openai:a", "openai:a #2", "openai:b",
                                                 "openai:a #3"]


def test_the_key_question_is_asked_for_a_files_base_url_only():
    from composer.providers.trust import TrustedHosts
    from composer.run.compare import key_question

    conv = conversation(provider="anthropic", model="claude", base_url="http://10.0.0.9:8000")
    from_file = parse_target("anthropic:a")
    typed = parse_target("anthropic:b,base_url=http://10.0.0.9:8000")
    elsewhere = parse_target("openai:c")  # another provider: its own server
    question = key_question(conv, [typed, elsewhere, from_file], key_store=key_store)
    assert question is not None and question.origin == "http://10.0.0.9:8000"
    assert key_question(conv, [typed, elsewhere], key_store=key_store) is None
    trusted = TrustedHosts()
    trusted.allow(question, remember=False)
    assert key_question(conv, [from_file], key_store=key_store, trusted=trusted) is None


def test_tokens_per_second_leaves_out_unseen_reasoning_and_bursts():
    from composer.models.exchange import Timing, Usage
    from composer.run.metrics import tokens_per_second

    usage = Usage(input=11, output=652, details={"reasoning_tokens": 602})  # Gemini 2.5 Pro's
    timing = Timing(first_token_ms=500.0, total_ms=1500.0)
    assert tokens_per_second(usage, timing) == 652.0  # reasoning streamed: all of it counts
    assert tokens_per_second(usage, timing, hidden_reasoning=True) == 50.0
    assert tokens_per_second(usage, Timing(first_token_ms=500.0, total_ms=520.0)) is None


def test_a_replys_figures_leave_out_reasoning_only_when_none_was_streamed():
    from composer.models.exchange import Exchange, ExchangeExtras, Timing, Usage
    from composer.models.parts import ReasoningPart
    from composer.run.metrics import Metrics

    extras = ExchangeExtras(stop_reason="stop", timing=Timing(first_token_ms=500.0,
                                                              total_ms=1500.0))
    usage = Usage(output=652, details={"reasoning_tokens": 602})
    unseen = Exchange(messages=[Message.text("assistant", "Oi")], usage=usage, composer=extras)
    shown = Exchange(messages=[Message(role="assistant", parts=[
        ReasoningPart(text="The user wants a greeting."), TextPart(text="Oi")])],
        usage=usage, composer=extras)
    assert Metrics.of(unseen).tokens_per_second == 50.0
    assert Metrics.of(shown).tokens_per_second == 652.0
    assert Metrics.of(unseen).output_tokens == 652  # the count itself is the provider's
