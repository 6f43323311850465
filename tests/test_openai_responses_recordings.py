"""The openai-responses format and protocol against every recorded Responses API exchange.

Expectations are computed here from the recorded JSON itself (deltas concatenated, final items
read), never by running our parser a second time.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import pytest

from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.formats.openai_responses import from_body, to_body
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from composer.models.settings import RequestSettings
from composer.providers.openai_responses import PROTOCOL, parse_response
from tests.cassettes import Cassette, all_cassettes, load, protocol_of
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.framing import assemble, assemble_events, assemble_recorded, decode, frames
from tests.loopback import Reply


def sse_payloads(body: str) -> list[dict[str, Any]]:
    return [json.loads(f.data) for f in frames(body)]


@functools.cache
def _load(name: str) -> Cassette:
    return load(RECORDINGS / name)


def _responses_files() -> list[str]:
    names = []
    for path in all_cassettes():
        if "/responses" not in path.read_text(encoding="utf-8"):  # YAML parsing is slow
            continue
        cassette = _load(str(path.relative_to(RECORDINGS)))
        if any(protocol_of(i) == "openai-responses" for i in cassette.interactions):
            names.append(cassette.name)
    return names


FILES = _responses_files()
STREAMING = [n for n in FILES if "stream" in n.rsplit("/", 1)[-1]]
MULTI_TURN = [n for n in FILES if len(_load(n).interactions) > 1]


def cassette(name: str) -> Cassette:
    recordings_or_skip()
    return _load(name)


def substance(body: dict[str, Any]) -> dict[str, Any]:
    """A request body as compared here. Ignored: key order, the ``stream`` transport flag, the
    spelling of message content (a string is one input_text part) and the spacing of function
    call argument JSON (compared parsed)."""
    out = {k: v for k, v in body.items() if k != "stream"}
    items = []
    for item in body.get("input") or []:
        item = dict(item)
        if isinstance(item.get("content"), str):
            kind = "output_text" if item.get("role") == "assistant" else "input_text"
            item["content"] = [{"type": kind, "text": item["content"]}]
        if item.get("type") == "function_call":
            item["arguments"] = json.loads(item["arguments"])
        items.append(item)
    out["input"] = items
    return out


# -- 1. every recorded request body imports and re-exports in substance ------------------------

@pytest.mark.parametrize("name", FILES)
def test_recorded_request_bodies_round_trip(name):
    for interaction in cassette(name).interactions:
        recorded = interaction.request_json
        imported = from_body(recorded, name)
        assert [x for x in imported.losses if x.dropped] == []
        body, losses = to_body(imported.conversation)
        assert [x for x in losses if x.dropped] == []
        assert substance(body) == substance(recorded)


# -- 2. streamed bodies give the parts the recorded bytes say ---------------------------------

def expected_from_stream(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Parts, usage and stop reason read straight from the recorded events."""
    text: dict[tuple[str, int], list[str]] = {}
    summary: dict[str, dict[int, list[str]]] = {}
    arguments: dict[str, list[str]] = {}
    done_items: list[tuple[int, dict[str, Any]]] = []
    final = None
    for p in payloads:
        kind = p["type"]
        if kind == "response.output_text.delta":
            text.setdefault((p["item_id"], p["content_index"]), []).append(p["delta"])
        elif kind == "response.reasoning_summary_text.delta":
            summary.setdefault(p["item_id"], {}).setdefault(p["summary_index"], []).append(
                p["delta"])
        elif kind == "response.function_call_arguments.delta":
            arguments.setdefault(p["item_id"], []).append(p["delta"])
        elif kind == "response.output_item.done":
            done_items.append((p["output_index"], p["item"]))
        elif kind in ("response.completed", "response.incomplete"):
            final = p["response"]
    parts: list[dict[str, Any]] = []
    for _, item in sorted(done_items, key=lambda x: x[0]):
        if item["type"] == "message":
            for ci, _entry in enumerate(item["content"]):
                parts.append({"type": "text", "text": "".join(text[(item["id"], ci)]),
                              "id": item["id"]})
        elif item["type"] == "reasoning":
            chunks = summary.get(item["id"], {})
            parts.append({"type": "reasoning",
                          "text": "\n\n".join("".join(chunks[i]) for i in sorted(chunks)),
                          "id": item["id"], "encrypted_content": item.get("encrypted_content")})
        elif item["type"] == "function_call":
            parts.append({"type": "tool_call", "name": item["name"],
                          "tool_call_id": item["call_id"], "id": item["id"],
                          "arguments": json.loads("".join(arguments[item["id"]]))})
        else:
            parts.append({"type": "tool_call", "server_executed": True, "id": item["id"]})
    assert final is not None, "recording has no terminal event"
    has_calls = any(i["type"] == "function_call" for _, i in done_items)
    usage = final["usage"]
    return {"parts": parts, "stop": "tool_calls" if has_calls else "stop",
            "usage": (usage["input_tokens"], usage["output_tokens"],
                      usage["output_tokens_details"]["reasoning_tokens"],
                      usage["input_tokens_details"]["cached_tokens"]),
            "id": final["id"]}


def expected_from_output(response: dict[str, Any]) -> dict[str, Any]:
    """The same expectation for a non-streamed reply, read from its output items."""
    parts: list[dict[str, Any]] = []
    for item in response["output"]:
        if item["type"] == "message":
            for entry in item["content"]:
                parts.append({"type": "text", "text": entry["text"], "id": item["id"]})
        elif item["type"] == "reasoning":
            parts.append({"type": "reasoning",
                          "text": "\n\n".join(s["text"] for s in item["summary"]),
                          "id": item["id"], "encrypted_content": item.get("encrypted_content")})
        elif item["type"] == "function_call":
            parts.append({"type": "tool_call", "name": item["name"],
                          "tool_call_id": item["call_id"], "id": item["id"],
                          "arguments": json.loads(item["arguments"])})
        else:
            parts.append({"type": "tool_call", "server_executed": True, "id": item["id"]})
    has_calls = any(i["type"] == "function_call" for i in response["output"])
    usage = response["usage"]
    return {"parts": parts, "stop": "tool_calls" if has_calls else "stop",
            "usage": (usage["input_tokens"], usage["output_tokens"],
                      usage["output_tokens_details"]["reasoning_tokens"],
                      usage["input_tokens_details"]["cached_tokens"]),
            "id": response["id"]}


def check_assembled(assembler: Assembler, expected: dict[str, Any]) -> None:
    assert assembler.error is None, assembler.error
    parts = assembler.parts()
    assert len(parts) == len(expected["parts"]), [p.type for p in parts]
    for part, want in zip(parts, expected["parts"], strict=True):
        meta = (part.provider_metadata or {}).get("openai", {})
        assert part.type == want["type"]
        if want["type"] == "text":
            assert part.text == want["text"]
            assert meta.get("id") == want["id"]
        elif want["type"] == "reasoning":
            assert part.text == want["text"]
            assert meta.get("id") == want["id"]
            assert meta.get("encrypted_content") == want["encrypted_content"]
        elif want.get("server_executed"):
            assert part.server_executed
            assert meta["item"]["id"] == want["id"]
        else:
            assert (part.name, part.tool_call_id, part.arguments) == (
                want["name"], want["tool_call_id"], want["arguments"])
            assert meta.get("id") == want["id"]
    usage = assembler.usage
    assert (usage.input, usage.output, usage.details["reasoning_tokens"],
            usage.details["cached_tokens"]) == expected["usage"]
    assert assembler.stop_reason == expected["stop"]
    assert assembler.response_id == expected["id"]


@pytest.mark.parametrize("name", STREAMING)
def test_streamed_replies_assemble_to_the_recorded_parts(name):
    for interaction in cassette(name).interactions:
        expected = expected_from_stream(sse_payloads(interaction.response_body))
        check_assembled(assemble(PROTOCOL.new_parser(), frames(interaction.response_body)),
                        expected)


@pytest.mark.parametrize("name", [n for n in FILES if n not in STREAMING])
def test_plain_json_replies_assemble_to_the_recorded_parts(name):
    for interaction in cassette(name).interactions:
        response = json.loads(interaction.response_body)
        check_assembled(assemble_events(parse_response(response)),
                        expected_from_output(response))


# -- 3. tool loops: first request + assembled reply + tool results = the second request --------

def without_replay(body: dict[str, Any]) -> dict[str, Any]:
    """Our export minus what the recording client did not replay: reasoning items and item ids
    (it sent store:false without them; we replay them, checked separately)."""
    out = dict(body)
    out["input"] = [{k: v for k, v in item.items() if k != "id"} for item in body["input"]
                    if item.get("type") != "reasoning"]
    return out


@pytest.mark.parametrize("name", MULTI_TURN)
def test_tool_loop_second_request_is_rebuilt(name):
    first, second = cassette(name).interactions[:2]
    conversation = from_body(first.request_json, name).conversation
    reply = assemble_recorded(first, PROTOCOL, parse_response).message()
    conversation.messages.append(reply)
    results = [ToolResultPart(output=item["output"], tool_call_id=item["call_id"])
               for item in second.request_json["input"]
               if item.get("type") == "function_call_output"]
    assert results, "a tool loop without tool results"
    conversation.messages.append(Message(role="tool", parts=results))
    body, losses = to_body(conversation)
    assert [x for x in losses if x.dropped] == []
    assert substance(without_replay(body)) == substance(second.request_json)

    # What we replay beyond the recording: every reasoning item whole, and the item ids.
    if first.streaming:
        done = [p["item"] for p in sse_payloads(first.response_body)
                if p["type"] == "response.output_item.done"]
    else:
        done = json.loads(first.response_body)["output"]
    sent = {item.get("id"): item for item in body["input"] if item.get("id")}
    for item in done:
        if item["type"] == "reasoning":
            assert sent[item["id"]].get("encrypted_content") == item.get("encrypted_content")
            assert sent[item["id"]]["summary"] == item["summary"]
        elif item["type"] == "function_call" and any(
                i["type"] == "reasoning" for i in done):
            assert sent[item["id"]]["call_id"] == item["call_id"]
    reasoning = [p for p in reply.parts if isinstance(p, ReasoningPart)]
    calls = [p for p in reply.parts if isinstance(p, ToolCallPart)]
    assert {c.tool_call_id for c in calls} == {r.tool_call_id for r in results}
    request = PROTOCOL.build_request(conversation, base_url="https://api.openai.com/v1",
                                     api_key="sk-test")
    if any((r.provider_metadata or {})["openai"].get("encrypted_content") for r in reasoning):
        assert request.body["store"] is False
        assert "reasoning.encrypted_content" in request.body["include"]


# -- the parser on real socket chunking --------------------------------------------------------

def test_streamed_reply_over_loopback_socket(loopback):
    name = "TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/thinking-streaming.yaml"
    interaction = cassette(name).interactions[0]
    loopback.queue(Reply.sse(interaction.response_body))
    conversation = Conversation(messages=[Message.text("user", "Weather in Florence?")],
                                settings=RequestSettings(provider="openai-responses",
                                                         model="gpt-5"))
    request = PROTOCOL.build_request(conversation, base_url=loopback.url, api_key="sk-loop")
    with httpx.Client() as client, client.stream(request.method, request.url,
                                                 headers=request.headers,
                                                 json=request.body) as response:
        assert response.status_code == 200
        chunks = list(response.iter_bytes())
    assert len(chunks) > 1
    assembler = assemble(PROTOCOL.new_parser(), decode(chunks))
    received = loopback.received[0]
    assert received.path == "/responses"
    assert received.headers["authorization"] == "Bearer sk-loop"
    assert received.json["stream"] is True
    check_assembled(assembler, expected_from_stream(sse_payloads(interaction.response_body)))
    assert isinstance(assembler.parts()[0], ReasoningPart)
    assert not any(isinstance(p, TextPart) for p in assembler.parts())
