"""A Composer exchange continued by llm itself, against a loopback server: the signatures and
the encrypted reasoning Composer kept reach the wire in llm's next request.

Needs the ``test-llm`` extra and ../shared/recordings; skips cleanly without either.
"""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.transport import Call, CallConfig, run_call
from tests.conftest import LLM
from tests.loopback import Reply

# Found, not imported: llm and its plugins (the anthropic SDK above all) load when a test
# asks for them (the llm fixture), not when the suite is collected; and in one xdist worker.
pytestmark = [LLM, pytest.mark.skipif(
    find_spec("llm") is None or find_spec("llm_anthropic") is None,
    reason="needs llm and llm-anthropic (the test-llm extra)")]

FAST = CallConfig(retries=0)
CASES = {
    "anthropic": ("TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml",
                  "claude-sonnet-4-0", "ANTHROPIC", ""),
    "openai-responses": ("TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/"
                         "thinking-streaming.yaml", "gpt-5", "OPENAI", "/v1"),
}


def _streams(name):
    from tests import cassettes
    from tests.conftest import recordings_or_skip

    path = recordings_or_skip() / name
    if not path.exists():
        pytest.skip(f"{name} is not in the recordings")
    return [it for it in cassettes.load(path).interactions if it.status == 200 and it.streaming]


def _metadata(exchange, key):
    return [p.provider_metadata[key] for m in exchange.messages for p in m.parts
            if p.type == "reasoning" and p.provider_metadata and key in p.provider_metadata]


@pytest.mark.parametrize("protocol", CASES)
async def test_llm_continues_our_exchange_with_the_reasoning_state_on_the_wire(
        loopback, monkeypatch, protocol, llm):
    name, model, env, path = CASES[protocol]
    first, second, *_ = _streams(name)
    loopback.queue(Reply.sse(first.response_body))
    conversation = Conversation(
        messages=[Message.text("user", "What is the weather in Florence?")],
        settings=RequestSettings(provider=protocol, base_url=loopback.url + path, model=model,
                                 options={"max_tokens": 4096, "reasoning_effort": "medium"}))
    exchange = await run_call(Call(conversation, api_key="k", config=FAST))
    assert exchange.composer.error is None
    [call] = [p for m in exchange.messages for p in m.parts if p.type == "tool_call"]
    kept = _metadata(exchange, "anthropic" if protocol == "anthropic" else "openai")
    assert kept

    response = llm.Response.from_dict(json.loads(json.dumps(exchange.to_dict())))
    monkeypatch.setenv(f"{env}_API_KEY", "k")
    monkeypatch.setenv(f"{env}_BASE_URL", loopback.url + path)
    loopback.queue(Reply.sse(second.response_body))
    reply = response.reply(tool_results=[llm.ToolResult(
        name=call.name, output="Sunny, 21C", tool_call_id=call.tool_call_id)])
    reply.text()
    sent = loopback.received[-1].json
    if protocol == "anthropic":
        blocks = sent["messages"][1]["content"]
        thinking = [b for b in blocks if b["type"] == "thinking"]
        assert [b["signature"] for b in thinking] == [k["signature"] for k in kept]
        assert any(b["type"] == "tool_use" and b["id"] == call.tool_call_id for b in blocks)
    else:
        items = [i for i in sent["input"] if i.get("type") == "reasoning"]
        assert [(i["id"], i["encrypted_content"]) for i in items] == \
            [(k["id"], k["encrypted_content"]) for k in kept]
        assert any(i.get("call_id") == call.tool_call_id for i in sent["input"])


def _sse(*events: dict) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


REDACTED_TURN = _sse(
    {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                                          "model": "claude-sonnet-4-5", "content": [],
                                          "usage": {"input_tokens": 5, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0,
     "content_block": {"type": "redacted_thinking", "data": "EqRED=="}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1,
     "content_block": {"type": "tool_use", "id": "toolu_9", "name": "add", "input": {}}},
    {"type": "content_block_delta", "index": 1,
     "delta": {"type": "input_json_delta", "partial_json": "{\"a\": 1}"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
     "usage": {"output_tokens": 9}},
    {"type": "message_stop"})
DONE_TURN = _sse(
    {"type": "message_start", "message": {"id": "msg_2", "type": "message", "role": "assistant",
                                          "model": "claude-sonnet-4-5", "content": [],
                                          "usage": {"input_tokens": 5, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "2"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
    {"type": "message_stop"})


async def test_redacted_thinking_moves_between_composer_and_llm_anthropic(loopback, monkeypatch,
                                                                         llm):
    loopback.queue(Reply.sse(REDACTED_TURN))
    conversation = Conversation(messages=[Message.text("user", "add 1")], settings=RequestSettings(
        provider="anthropic", base_url=loopback.url, model="claude-sonnet-4-5"))
    exchange = await run_call(Call(conversation, api_key="k", config=FAST))
    redacted = exchange.messages[0].parts[0]
    # The shape llm-anthropic writes and reads.
    assert redacted.provider_metadata == {"anthropic": {"type": "redacted_thinking",
                                                        "data": "EqRED=="}}
    response = llm.Response.from_dict(json.loads(json.dumps(exchange.to_dict())))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    loopback.queue(Reply.sse(DONE_TURN))
    reply = response.reply(tool_results=[llm.ToolResult(name="add", output="2",
                                                        tool_call_id="toolu_9")])
    assert reply.text() == "2"
    assert loopback.received[-1].json["messages"][1]["content"][0] == {
        "type": "redacted_thinking", "data": "EqRED=="}
    # And back: llm-anthropic's own record of a redacted block (redacted left False, the type
    # in the metadata, as its stream handler builds it) replays from Composer as the same block.
    from llm.parts import Message as LlmMessage
    from llm.parts import ReasoningPart as LlmReasoning
    from llm.parts import TextPart as LlmText

    from composer.models.formats import anthropic as anthropic_format
    from composer.models.formats import llm as llm_format

    theirs = LlmMessage(role="assistant", parts=[
        LlmReasoning(text="", provider_metadata={"anthropic": {"type": "redacted_thinking",
                                                               "data": "EqRED=="}}),
        LlmText(text="2")])
    ours = llm_format.load([{"role": "user", "parts": [{"type": "text", "text": "add 1"}]},
                            theirs.to_dict(), Message.text("user", "thanks").to_dict()],
                           None).conversation
    body, _ = anthropic_format.to_body(ours)
    assert body["messages"][1]["content"][0] == {"type": "redacted_thinking", "data": "EqRED=="}
