"""Replay: a saved exchange's raw events streamed back through the recording protocol's parser."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
)
from composer.models.settings import RequestSettings
from composer.providers.base import RequestRefused
from composer.providers.replay import EXAMPLE_EXCHANGE
from composer.providers.transport import Call, CallConfig, list_models, run_call
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import Reply
from tests.replay_example import example_from

FULL_SPEED = CallConfig(replay_speed=0)


def replay_conversation(path=None, **options) -> Conversation:
    return Conversation(messages=[Message.text("user", "show me")],
                        settings=RequestSettings(provider="replay",
                                                 base_url=str(path) if path else None,
                                                 options=options))


async def test_the_bundled_example_replays_every_part_type():
    exchange = await run_call(Call(replay_conversation(), config=FULL_SPEED))
    parts = exchange.messages[0].parts
    assert [type(p) for p in parts] == [ReasoningPart, TextPart, ToolCallPart, AttachmentPart]
    assert "```python" in parts[1].text and "def is_prime" in parts[1].text
    assert parts[1].provider_metadata == {"gemini": {"thoughtSignature":
                                                     "ZXhhbXBsZS1zaWduYXR1cmUtMQ=="}}
    assert parts[2].name == "get_weather" and parts[2].arguments == {"city": "Lisbon"}
    image = parts[3].attachment
    assert image.type == "image/png"
    assert base64.b64decode(image.content).startswith(b"\x89PNG\r\n\x1a\n")
    assert exchange.usage.input == 58 and exchange.usage.output
    assert exchange.composer.error is None
    assert exchange.composer.stop_reason == "tool_calls"
    # It is marked as what parsed it, and keeps the events so it can be replayed again.
    assert exchange.composer.protocol == "gemini"
    assert exchange.composer.settings.provider == "replay"
    assert len(exchange.composer.events) == len(load(EXAMPLE_EXCHANGE).composer.events)
    assert exchange.model == "gemini-2.5-flash-image"


async def test_the_bundled_example_matches_its_own_saved_reply():
    saved = load(EXAMPLE_EXCHANGE)
    exchange = await run_call(Call(replay_conversation(), config=FULL_SPEED))
    assert exchange.messages == saved.messages and exchange.usage == saved.usage


async def test_recorded_timing_is_followed_scaled_by_the_speed_option():
    last = load(EXAMPLE_EXCHANGE).composer.events[-1].t
    start = time.monotonic()
    exchange = await run_call(Call(replay_conversation(speed=16)))
    elapsed = time.monotonic() - start
    assert elapsed >= last / 16 * 0.9
    assert elapsed < last  # faster than recorded
    assert exchange.composer.timing.first_token_ms > 0


async def test_a_timed_replay_can_be_cancelled_with_parts_kept(tmp_path):
    # The example at its recorded pace from its first event on (at 0.42 s): that one comes at
    # once, the next 0.38 s later, the fourth part 1.28 s later.
    example = example_from(tmp_path / "example.json", 0.42)
    first = asyncio.Event()
    task = asyncio.create_task(run_call(Call(replay_conversation(example, speed=1)),
                                        on_event=lambda _event, _index: first.set()))
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()  # while the replay waits for its next event
    exchange = await task
    assert exchange.composer.stop_reason == "cancelled"
    assert isinstance(exchange.messages[0].parts[0], ReasoningPart)
    assert len(exchange.messages[0].parts) < 4


async def test_an_exchange_written_by_send_replays_to_the_same_parts(loopback, tmp_path):
    root = recordings_or_skip()
    cassette = cassettes.load(root / "TestAnthropicThinking/claude-sonnet-4/"
                                     "thinking-streaming.yaml")
    loopback.queue(Reply.sse(cassette.interactions[0].response_body))
    conv = Conversation(messages=[Message.text("user", "What's the weather in Florence, Italy?")],
                        settings=RequestSettings(provider="anthropic", base_url=loopback.url,
                                                 model="claude-sonnet-4-20250514",
                                                 options={"max_tokens": 4096}))
    sent = await run_call(Call(conv, api_key="sk-ant-test"))
    assert sent.composer.error is None
    assert {type(p) for p in sent.messages[0].parts} >= {ReasoningPart, ToolCallPart}
    path = tmp_path / "sent.json"
    save(sent, path)

    replayed = await run_call(Call(replay_conversation(path), config=FULL_SPEED))
    assert replayed.messages == sent.messages
    assert replayed.usage == sent.usage and replayed.id == sent.id
    assert replayed.composer.stop_reason == sent.composer.stop_reason
    # Replaying the replay works too: the log and the protocol travel with it.
    path2 = tmp_path / "replayed.json"
    save(replayed, path2)
    again = await run_call(Call(replay_conversation(path2), config=FULL_SPEED))
    assert again.messages == sent.messages


def test_replaying_something_that_is_not_a_recorded_exchange_is_refused(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(RequestRefused, match="nope.json"):
        Call(replay_conversation(missing))
    conv_file = tmp_path / "conv.json"
    save(replay_conversation(), conv_file)
    with pytest.raises(RequestRefused, match="a conversation file, not an exchange"):
        Call(replay_conversation(conv_file))
    empty = load(EXAMPLE_EXCHANGE)
    empty.composer.events = []
    save(empty, tmp_path / "empty.json")
    with pytest.raises(RequestRefused, match="no recorded events"):
        Call(replay_conversation(tmp_path / "empty.json"))


async def test_replay_lists_the_example_model():
    assert await list_models("replay") == ["gemini-2.5-flash-image"]
