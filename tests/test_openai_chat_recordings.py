"""The openai-chat format and protocol against every recorded Chat Completions exchange.

For each cassette in ../shared/recordings whose requests go to ``/chat/completions``:
1. every recorded request body imports with nothing lost and exports back to the same body in
   substance (``normalise`` says what may differ);
2. every reply — streamed ones frame by frame through the parser and the Assembler, whole JSON
   ones through ``parse_response`` — gives the parts the raw JSON says; the expectations are
   computed here from the chunks themselves;
3. in two-request files (tool loops), first request + assembled reply + the second request's tool
   results, exported, is the second request (replayed reasoning, signatures, tool call ids).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.formats.openai_chat import META, from_body, to_body
from composer.models.parts import ReasoningPart, TextPart, ToolCallPart
from composer.providers.openai_chat import PROTOCOL, parse_response
from tests.cassettes import Cassette, Interaction, all_cassettes, load, protocol_of
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.framing import assemble, assemble_events, assemble_recorded, decode, frames
from tests.loopback import Reply


def _chat_paths() -> list[Path]:
    # A cheap text sniff at collection time; the YAML is parsed only by the tests that use it.
    return [p for p in all_cassettes()
            if "/chat/completions" in p.read_text(encoding="utf-8", errors="replace")]


PATHS = _chat_paths()
IDS = [str(p.relative_to(RECORDINGS)) for p in PATHS]
STREAMED = [p for p in PATHS if "stream" in p.stem]
MULTI_TURN = [p for p in PATHS if "tool" in p.stem or "thinking" in p.stem]


@cache
def _cassette(path: Path) -> Cassette:
    return load(path)


def _chat(path: Path) -> list[Interaction]:
    recordings_or_skip()
    found = [i for i in _cassette(path).interactions if protocol_of(i) == "openai-chat"]
    assert found, f"{path.name} has no Chat Completions request"
    return found


def _ids(paths: list[Path]) -> list[str]:
    return [IDS[PATHS.index(p)] for p in paths]


# -- helpers ---------------------------------------------------------------------------------


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """A body in substance. Ignored: key order; ``stream``/``stream_options`` (transport flags
    the provider adds); how an assistant says "no text" (null, "" or no key); a lone text part
    versus a plain string; tool-call argument spacing (compared as parsed JSON); a tool message's
    text parts versus one string."""
    out = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    messages = []
    for m in body.get("messages", []):
        m = dict(m)
        content = m.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if m.get("role") == "tool" and isinstance(content, list):
            content = "".join(p.get("text", "") for p in content)
        if m.get("role") == "assistant" and content in (None, "", [], [{"type": "text",
                                                                         "text": ""}]):
            content = None
        m["content"] = content
        if m.get("tool_calls"):
            m["tool_calls"] = [
                {**c, "function": {**c["function"],
                                   "arguments": json.loads(c["function"]["arguments"] or "{}")}}
                for c in m["tool_calls"]]
        messages.append(m)
    out["messages"] = messages
    return out


def split_replay(body: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, list]]]:
    """A body in substance, with each assistant message's replayed text and reasoning apart.

    The recording client replays lossily: on some servers it drops a stream's first reasoning
    delta or the text's deltas but one, it sends reasoning only as ``reasoning_details`` or only
    as ``reasoning_content``, leaves out xAI's encrypted blob, and moves ``cache_control`` to the
    latest turn. So what it replayed must be *contained* in ours: its text and reasoning text are
    substrings of ours, its opaque blobs (signatures, encrypted data) a subset of ours;
    ``cache_control`` is ignored. Everything else compares as ``normalise`` does."""
    replays = []
    messages = []
    for m in normalise(body)["messages"]:
        m = {k: v for k, v in m.items() if k != "cache_control"}
        if m.get("tool_calls"):
            m["tool_calls"] = [{k: v for k, v in c.items() if k != "cache_control"}
                               for c in m["tool_calls"]]
        if m.get("role") == "assistant":
            content = m.pop("content", None) or []
            text = "".join(p.get("text", "") for p in content)
            details = m.pop("reasoning_details", None) or []
            rc, r = m.pop("reasoning_content", None), m.pop("reasoning", None)
            detail_text = "".join(d.get("text") or d.get("summary") or "" for d in details)
            reasoning = rc or (r if isinstance(r, str) else "") or detail_text
            blobs = [(d.get("type"), d.get("signature") or d.get("data")) for d in details
                     if d.get("signature") or d.get("data")]
            replays.append((text, reasoning, blobs))
        messages.append(m)
    return {**normalise(body), "messages": messages}, replays


def expected_reply(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a reply says, read straight from its chunks (or whole-message responses)."""
    text, refusal, rc, r, detail_text = [], [], [], [], []
    calls: dict[Any, dict[str, Any]] = {}
    signatures, blobs = [], []
    usage, finish = None, None
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or choice.get("message") or {}
            if isinstance(delta.get("content"), str):
                text.append(delta["content"])
            if isinstance(delta.get("refusal"), str):
                refusal.append(delta["refusal"])
            if isinstance(delta.get("reasoning_content"), str):
                rc.append(delta["reasoning_content"])
            if isinstance(delta.get("reasoning"), str):
                r.append(delta["reasoning"])
            for d in delta.get("reasoning_details") or []:
                detail_text.append(d.get("text") or d.get("summary") or "")
                if d.get("signature"):
                    signatures.append(d["signature"])
                if d.get("data"):
                    blobs.append(d["data"])
            for n, call in enumerate(delta.get("tool_calls") or []):
                slot = calls.setdefault(call.get("index", n), {"id": None, "name": "", "args": ""})
                slot["id"] = slot["id"] or call.get("id")
                slot["name"] = slot["name"] or (call.get("function") or {}).get("name") or ""
                slot["args"] += (call.get("function") or {}).get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
        if chunk.get("usage"):
            usage = chunk["usage"]
    reasoning = "".join(rc) or "".join(r) or "".join(detail_text)
    return {"text": "".join(text), "refusal": "".join(refusal), "reasoning": reasoning,
            "calls": [calls[k] for k in sorted(calls)], "usage": usage, "finish": finish,
            "signatures": signatures, "blobs": blobs}


def check_assembled(assembler: Assembler, expected: dict[str, Any]) -> None:
    assert assembler.error is None, assembler.error
    message = assembler.message()
    texts = [p for p in message.parts if isinstance(p, TextPart)
             and not (p.provider_metadata or {}).get(META, {}).get("refusal")]
    assert "".join(p.text for p in texts) == expected["text"]
    assert len(texts) == (1 if expected["text"] else 0)
    reasoning = message.parts_of(ReasoningPart)
    assert "".join(p.text for p in reasoning) == expected["reasoning"]
    if expected["signatures"] or expected["blobs"]:
        details = reasoning[0].provider_metadata[META]["reasoning_details"]
        dumped = json.dumps(details)
        for blob in expected["signatures"] + expected["blobs"]:
            assert json.dumps(blob)[1:-1] in dumped
    calls = message.parts_of(ToolCallPart)
    assert [(c.tool_call_id, c.name) for c in calls] == [
        (c["id"], c["name"]) for c in expected["calls"]]
    assert [c.arguments for c in calls] == [json.loads(c["args"] or "{}")
                                            for c in expected["calls"]]
    usage = expected["usage"]
    if usage:
        got = assembler.usage_or_none()
        assert got is not None
        assert (got.input, got.output) == (usage["prompt_tokens"], usage["completion_tokens"])
        reasoning_tokens = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
        if reasoning_tokens is not None:
            assert got.details["reasoning_tokens"] == reasoning_tokens
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        if cached is not None:
            assert got.details["cached_tokens"] == cached
    finish = {"function_call": "tool_calls"}.get(expected["finish"], expected["finish"])
    assert assembler.stop_reason == finish


def _chunks(body: str) -> list[dict[str, Any]]:
    return [json.loads(f.data) for f in frames(body) if f.data.strip() != "[DONE]"]


# -- 1. request bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_recorded_request_survives_import_and_export(path):
    for interaction in _chat(path):
        recorded = interaction.request_json
        imported = from_body(recorded, interaction.url)
        assert imported.losses == [], imported.losses
        body, losses = to_body(imported.conversation)
        assert losses == [], losses
        assert normalise(body) == normalise(recorded)


# -- 2. replies ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", STREAMED, ids=_ids(STREAMED))
def test_streamed_reply_assembles_to_what_the_chunks_say(path):
    for interaction in _chat(path):
        assert interaction.streaming
        expected = expected_reply(_chunks(interaction.response_body))
        check_assembled(assemble(PROTOCOL.new_parser(), frames(interaction.response_body)),
                        expected)


@pytest.mark.parametrize("path", [p for p in PATHS if p not in STREAMED],
                         ids=_ids([p for p in PATHS if p not in STREAMED]))
def test_whole_json_reply_parses_to_what_it_says(path):
    for interaction in _chat(path):
        data = json.loads(interaction.response_body)
        check_assembled(assemble_events(parse_response(data)), expected_reply([data]))


# -- 3. tool loops ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", MULTI_TURN, ids=_ids(MULTI_TURN))
def test_reply_and_tool_results_export_as_the_next_request(path):
    first, second = _chat(path)[:2]
    conversation = from_body(first.request_json).conversation
    reply = assemble_recorded(first, PROTOCOL, parse_response).message()
    assert reply.parts_of(ToolCallPart), "the first reply should call a tool"
    later = from_body(second.request_json).conversation.messages
    results = later[len(conversation.messages) + 1:]
    assert results and all(m.role == "tool" for m in results)
    conversation = Conversation(messages=[*conversation.messages, reply, *results],
                                settings=conversation.settings)
    body, losses = to_body(conversation)
    assert [loss for loss in losses if loss.dropped] == []
    ours, our_replays = split_replay(body)
    recorded, recorded_replays = split_replay(second.request_json)
    assert ours == recorded
    assert len(our_replays) == len(recorded_replays)
    for (text, reasoning, blobs), (r_text, r_reasoning, r_blobs) in zip(
            our_replays, recorded_replays, strict=True):
        assert r_text.strip() in text
        assert r_reasoning in reasoning
        assert set(r_blobs) <= set(blobs)
        if r_reasoning:
            assert reasoning


# -- the parser on a real socket -------------------------------------------------------------


def test_streamed_reply_over_a_real_socket(loopback):
    recordings_or_skip()
    path = next((p for p in STREAMED if "OpenRouterThinking" in str(p)), None)
    if path is None:
        pytest.skip("no OpenRouter thinking recording")
    interaction = _chat(path)[0]
    loopback.queue(Reply.sse(interaction.response_body))
    conversation = from_body(interaction.request_json).conversation
    request = PROTOCOL.build_request(conversation, base_url=loopback.url + "/api/v1",
                                     api_key="sk-test")
    with httpx.Client(timeout=10) as client, client.stream(
            request.method, request.url, headers=request.headers, json=request.body) as response:
        assert response.status_code == 200
        assembler = assemble(PROTOCOL.new_parser(), decode(response.iter_bytes()))
    received = loopback.received[0]
    assert received.path == "/api/v1/chat/completions"
    assert received.headers["Authorization"] == "Bearer sk-test"
    assert received.json == request.body and received.json["stream"] is True
    check_assembled(assembler, expected_reply(_chunks(interaction.response_body)))
