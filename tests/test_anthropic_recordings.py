"""The anthropic format and protocol against every recorded Anthropic exchange in ../shared.

For each cassette whose requests go to the Messages API (api.anthropic.com or Vertex's
rawPredict, which takes the same body):
1. every recorded request body imports without loss and exports back to the same body;
2. every streamed reply, fed frame by frame through the parser and the Assembler, gives the parts
   the raw events say (expectations computed here from the JSON, not by the parser);
3. in two-request files, first request + assembled reply + the tool results of the second
   request, exported, is the second request (replayed signatures, tool call ids...).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from composer.models import formats
from composer.models.assembler import Assembler
from composer.models.formats.anthropic import from_body, to_body
from composer.models.parts import ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from composer.providers.anthropic import PROTOCOL, parse_response
from tests.cassettes import Cassette, all_cassettes, load, protocol_of
from tests.conftest import recordings_or_skip
from tests.framing import assemble, assemble_events, assemble_recorded, decode, frames
from tests.loopback import Reply


def _anthropic_cassettes() -> list[Cassette]:
    found = []
    for path in all_cassettes():
        # A cheap look before the (slow) YAML parse: most cassettes are other protocols'.
        text = path.read_text(encoding="utf-8")
        if "/v1/messages" not in text and "RawPredict" not in text and "rawPredict" not in text:
            continue
        cassette = load(path)
        if cassette.interactions and all(protocol_of(i) == "anthropic"
                                         for i in cassette.interactions):
            found.append(cassette)
    return found


CASSETTES = _anthropic_cassettes()
IDS = [c.name for c in CASSETTES]
STREAMED = [c for c in CASSETTES if c.interactions[0].streaming]
MULTI_TURN = [c for c in CASSETTES if len(c.interactions) > 1]


def _need(cassettes: list[Cassette]) -> None:
    recordings_or_skip()
    if not cassettes:
        pytest.skip("no Anthropic recordings found")


# -- helpers ----------------------------------------------------------------------------------


def normalise(body: dict[str, Any], *, ignore_cache: bool = False) -> dict[str, Any]:
    """The request in substance. Ignored: key order, ``stream`` (a transport flag), string
    versus one-text-block content, how text blocks of one tool result are split, the ``caller``
    of a tool_use and the ``citations`` of assistant text (response-only details a client may
    or may not echo), keys set to null (an omitted optional field), consecutive same-role
    messages (the API merges them), and with ``ignore_cache`` the ``cache_control`` hints
    (clients move them from request to request)."""
    body = _without_nulls(body)
    body.pop("stream", None)

    def blocks(content: Any) -> list[dict[str, Any]]:
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    def clean(block: dict[str, Any], role: str) -> dict[str, Any]:
        block.pop("caller", None)
        if ignore_cache:
            block.pop("cache_control", None)
        if role == "assistant" and block.get("type") == "text":
            block.pop("citations", None)
        if block.get("type") == "tool_result":
            content = blocks(block.get("content", ""))
            texts = [b["text"] for b in content if b.get("type") == "text"]
            others = [b for b in content if b.get("type") != "text"]
            block["content"] = ([{"type": "text", "text": "\n".join(texts)}] if texts else []) \
                + others
        return block

    if "system" in body:
        body["system"] = [clean(b, "system") for b in blocks(body["system"])]
    merged: list[dict[str, Any]] = []
    for m in body.get("messages", []):
        content = [clean(b, m["role"]) for b in blocks(m["content"])]
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1]["content"].extend(content)
        else:
            merged.append({"role": m["role"], "content": content})
    body["messages"] = merged
    if ignore_cache:
        for tool in body.get("tools", []):
            tool.pop("cache_control", None)
    return body


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def expected_blocks(body: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """From the raw events alone: each block as it should come out, and the message summary."""
    blocks: dict[int, dict[str, Any]] = {}
    summary: dict[str, Any] = {}
    for frame in frames(body):
        event = json.loads(frame.data)
        kind = event["type"]
        usage = event["message"]["usage"] if kind == "message_start" else event.get("usage")
        # Input tokens come in message_start; a later message_delta may restate them (after
        # server tool use), and the last word counts.
        if usage and "input_tokens" in usage:
            summary["input"] = (usage["input_tokens"] + (usage.get("cache_read_input_tokens") or 0)
                                + (usage.get("cache_creation_input_tokens") or 0))
        if kind == "message_start":
            summary["id"] = event["message"]["id"]
        elif kind == "content_block_start":
            start = event["content_block"]
            blocks[event["index"]] = {"start": start, "text": "", "thinking": "",
                                      "signature": "", "json": ""}
        elif kind == "content_block_delta":
            b, d = blocks[event["index"]], event["delta"]
            field = {"text_delta": "text", "thinking_delta": "thinking",
                     "signature_delta": "signature", "input_json_delta": "partial_json"}.get(
                d["type"])
            if field is not None:
                b["json" if field == "partial_json" else field] += d[field]
        elif kind == "message_delta":
            summary["stop_reason"] = event["delta"]["stop_reason"]
            summary["output"] = event["usage"]["output_tokens"]
    return [blocks[i] for i in sorted(blocks)], summary


# -- 1. request bodies round-trip -------------------------------------------------------------


@pytest.mark.parametrize("cassette", CASSETTES, ids=IDS)
def test_recorded_request_bodies_round_trip(cassette: Cassette) -> None:
    _need(CASSETTES)
    for interaction in cassette.interactions:
        recorded = interaction.request_json
        imported = from_body(recorded, cassette.name)
        assert imported.losses == []
        body, losses = to_body(imported.conversation)
        assert losses == []
        assert normalise(body) == normalise(recorded)


@pytest.mark.parametrize("cassette", CASSETTES, ids=IDS)
def test_recorded_request_bodies_are_detected_as_anthropic(cassette: Cassette) -> None:
    _need(CASSETTES)
    for interaction in cassette.interactions:
        assert formats.detect(interaction.request_body, cassette.name).name == "anthropic"


# -- 2. streamed replies assemble into the recorded parts -------------------------------------


STOP = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


@pytest.mark.parametrize("cassette", STREAMED, ids=[c.name for c in STREAMED])
def test_streamed_replies_assemble_into_the_recorded_parts(cassette: Cassette) -> None:
    _need(STREAMED)
    for interaction in cassette.interactions:
        assembler = assemble(PROTOCOL.new_parser(), frames(interaction.response_body))
        want, summary = expected_blocks(interaction.response_body)
        parts = assembler.parts()
        assert assembler.error is None, assembler.error
        assert len(parts) == len(want)
        for part, block in zip(parts, want, strict=True):
            kind = block["start"]["type"]
            if kind == "text":
                assert isinstance(part, TextPart)
                assert part.text == block["text"]
            elif kind == "thinking":
                assert isinstance(part, ReasoningPart)
                assert part.text == block["thinking"]
                assert part.provider_metadata == {"anthropic": {"signature": block["signature"]}}
            elif kind in ("tool_use", "server_tool_use"):
                assert isinstance(part, ToolCallPart)
                assert part.name == block["start"]["name"]
                assert part.tool_call_id == block["start"]["id"]
                assert part.arguments == (json.loads(block["json"]) if block["json"] else {})
                assert part.server_executed == (kind == "server_tool_use")
            elif kind == "web_search_tool_result":
                assert isinstance(part, ToolResultPart) and part.server_executed
                assert part.tool_call_id == block["start"]["tool_use_id"]
                assert part.provider_metadata["anthropic"]["content"] == block["start"]["content"]
                urls = [r["url"] for r in block["start"]["content"]]
                assert all(url in part.output for url in urls)
            else:
                raise AssertionError(f"unexpected block type {kind} in {cassette.name}")
        assert assembler.stop_reason == STOP[summary["stop_reason"]]
        assert assembler.finish.raw == summary["stop_reason"]
        assert assembler.usage.input == summary["input"]
        assert assembler.usage.output == summary["output"]
        assert assembler.response_id == summary["id"]


@pytest.mark.parametrize("cassette", [c for c in CASSETTES if not c.interactions[0].streaming],
                         ids=[c.name for c in CASSETTES if not c.interactions[0].streaming])
def test_plain_json_replies_give_the_recorded_content(cassette: Cassette) -> None:
    _need(CASSETTES)
    for interaction in cassette.interactions:
        reply = json.loads(interaction.response_body)
        assembler = assemble_events(parse_response(reply))
        parts = assembler.parts()
        assert [p.type for p in parts] == [
            {"text": "text", "thinking": "reasoning", "tool_use": "tool_call",
             "server_tool_use": "tool_call"}.get(b["type"], "tool_result")
            for b in reply["content"]]
        for part, block in zip(parts, reply["content"], strict=True):
            if block["type"] == "text":
                assert part.text == block["text"]
            elif block["type"] == "tool_use":
                assert (part.name, part.tool_call_id, part.arguments) == \
                    (block["name"], block["id"], block["input"])
            elif block["type"] == "thinking":
                assert part.provider_metadata["anthropic"]["signature"] == block["signature"]
        assert assembler.usage.output == reply["usage"]["output_tokens"]
        assert assembler.finish.raw == reply["stop_reason"]


# -- 3. the next turn is the recorded second request ------------------------------------------


@pytest.mark.parametrize("cassette", MULTI_TURN, ids=[c.name for c in MULTI_TURN])
def test_reply_and_tool_results_export_as_the_recorded_next_request(cassette: Cassette) -> None:
    _need(MULTI_TURN)
    first, second = cassette.interactions[:2]
    conversation = from_body(first.request_json).conversation
    reply = assemble_recorded(first, PROTOCOL, parse_response).message()
    later = from_body(second.request_json).conversation.messages
    start = len(conversation.messages)
    # The recorded assistant turn sits where our assembled reply goes.
    assert later[start].role == "assistant"
    conversation.messages = [*conversation.messages, reply, *later[start + 1:]]
    body, losses = to_body(conversation)
    assert not [loss for loss in losses if loss.dropped]
    ours, recorded = (normalise(b, ignore_cache=True) for b in (body, second.request_json))
    turn = next(i for i, m in enumerate(recorded["messages"]) if m["role"] == "assistant")
    ours_turn, recorded_turn = ours["messages"][turn], recorded["messages"][turn]
    if not any(b["type"] == "text" for b in recorded_turn["content"]):
        # The recording client (computer use) sent the assistant turn without its text; we
        # keep the text the model wrote, and check that text is exactly the reply's.
        said = [b for b in ours_turn["content"] if b["type"] == "text"]
        assert [b["text"] for b in said] == [p.text for p in reply.parts
                                             if isinstance(p, TextPart) and p.text]
        ours_turn["content"] = [b for b in ours_turn["content"] if b["type"] != "text"]
    assert ours == recorded
    # Replayed verbatim: every signature and tool call id of the reply.
    sent = json.dumps(body)
    for part in reply.parts:
        meta = (part.provider_metadata or {}).get("anthropic", {})
        if "signature" in meta:
            assert json.dumps(meta["signature"]) in sent
        if isinstance(part, ToolCallPart):
            assert json.dumps(part.tool_call_id) in sent


# -- loopback: the parser on real socket chunking ---------------------------------------------


def test_streamed_reply_over_a_real_socket(loopback) -> None:
    _need(STREAMED)
    cassette = next(c for c in STREAMED if "Thinking/" in c.name)
    interaction = cassette.interactions[0]
    loopback.queue(Reply.sse(interaction.response_body))
    conversation = from_body(interaction.request_json).conversation
    request = PROTOCOL.build_request(conversation, base_url=loopback.url, api_key="sk-test")
    with httpx.Client(timeout=10) as client, client.stream(
            request.method, request.url, headers=request.headers, json=request.body) as resp:
        assert resp.status_code == 200
        received_frames = decode(resp.iter_bytes())
    parser, assembler = PROTOCOL.new_parser(), Assembler()
    for frame in received_frames:
        for event in parser.feed(frame):
            assembler.feed(event)
    assert parser.close() == []
    received = loopback.received[0]
    assert received.path == "/v1/messages"
    assert received.headers["x-api-key"] == "sk-test"
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert received.json["stream"] is True
    assert received.json["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    offline = assemble(PROTOCOL.new_parser(), frames(interaction.response_body))
    assert assembler.parts() == offline.parts()
    kinds = [p.type for p in assembler.parts()]
    assert kinds[0] == "reasoning" and "tool_call" in kinds
    assert assembler.parts()[0].provider_metadata["anthropic"]["signature"]
