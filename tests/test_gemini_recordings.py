"""The Gemini format and protocol against every recorded Gemini exchange in ../shared/recordings.

For each recording: the request body imports and re-exports to the same body; the reply, fed
through the parser and the assembler, gives the parts the raw chunks say (the expectation is
computed here straight from the recorded JSON); and for two-request tool loops, the first
request + the assembled reply + the recorded tool result export to the second request.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from composer.models.formats.gemini import from_body, to_body
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from composer.providers.gemini import PROTOCOL, parse_response
from tests.cassettes import Cassette, Interaction, all_cassettes, load, protocol_of
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.framing import assemble, assemble_recorded, decode
from tests.loopback import Reply


@cache
def _load(path: Path) -> Cassette:
    return load(path)


def _gemini_cassettes() -> list[Any]:
    found = []
    for path in all_cassettes():
        # Only yaml-parse the files that mention a Gemini endpoint: parsing them all is slow.
        if "enerateContent" not in path.read_text(encoding="utf-8"):
            continue
        cassette = _load(path)
        if any(protocol_of(i) == "gemini" for i in cassette.interactions):
            found.append(pytest.param(path, id=cassette.name))
    return found or [pytest.param(None, id="no-recordings")]


CASSETTES = _gemini_cassettes()


def _interactions(path: Any) -> list[Interaction]:
    recordings_or_skip()
    if path is None:
        pytest.skip(f"no Gemini recordings under {RECORDINGS}")
    return [i for i in _load(path).interactions if protocol_of(i) == "gemini"]


def _reply_chunks(interaction: Interaction) -> list[dict[str, Any]]:
    """The recorded reply as a list of GenerateContentResponse objects, read independently."""
    if not interaction.streaming:
        return [json.loads(interaction.response_body)]
    chunks = []
    for line in interaction.response_body.splitlines():
        if line.startswith("data:"):
            chunks.append(json.loads(line[5:]))
    return chunks


# -- the substance of a request body ----------------------------------------------------------


def substance(body: dict[str, Any], *, replayed_ids: bool = True) -> dict[str, Any]:
    """A request body reduced to what must survive a round trip.

    Ignores: key order (dicts compare unordered); the role of ``systemInstruction`` (an SDK
    default); the base64 alphabet of inline data (bytes are compared); and, for thought parts,
    a summary without a ``thoughtSignature`` (the recording client does not send those back,
    Gemini ignores them). With ``replayed_ids=False`` also function call/response ids, for turns
    where the recording client invented ids Gemini never sent.
    """
    out = json.loads(json.dumps(body))
    system = out.get("systemInstruction")
    if isinstance(system, dict):
        system.pop("role", None)
    for content in out.get("contents", []):
        kept = []
        for part in content.get("parts", []):
            if part.get("thought") is True and "thoughtSignature" not in part:
                continue
            if "inlineData" in part:
                data = part["inlineData"]["data"]
                part["inlineData"]["data"] = base64.b64decode(
                    data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))
            if not replayed_ids:
                for key in ("functionCall", "functionResponse"):
                    if key in part:
                        part[key].pop("id", None)
            kept.append(part)
        content["parts"] = kept
    return out


# -- 1. every recorded request body round-trips ------------------------------------------------


@pytest.mark.parametrize("path", CASSETTES)
def test_recorded_request_bodies_import_and_export_unchanged(path):
    for interaction in _interactions(path):
        recorded = interaction.request_json
        imported = from_body(recorded, "recording")
        assert [str(loss) for loss in imported.losses] == []
        exported, losses = to_body(imported.conversation)
        assert [str(loss) for loss in losses] == []
        assert substance(exported) == substance(recorded)


# -- 2. every recorded reply assembles into the parts its chunks hold ---------------------------


def _expected(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    text, thoughts, signed, calls = [], [], [], []
    usage: dict[str, Any] = {}
    finish = None
    for chunk in chunks:
        usage = chunk.get("usageMetadata", usage)
        for candidate in chunk.get("candidates", []):
            finish = candidate.get("finishReason", finish)
            for part in candidate.get("content", {}).get("parts", []):
                if "functionCall" in part:
                    fc = part["functionCall"]
                    calls.append((fc["name"], fc.get("id"), fc.get("args", {})))
                    kind = "tool_call"
                elif part.get("thought"):
                    thoughts.append(part["text"])
                    kind = "reasoning"
                else:
                    text.append(part.get("text", ""))
                    kind = "text"
                if "thoughtSignature" in part:
                    signed.append((kind, part["thoughtSignature"]))
    return {"text": "".join(text), "thoughts": "".join(thoughts), "signed": signed,
            "calls": calls, "usage": usage, "finish": finish}


@pytest.mark.parametrize("path", CASSETTES)
def test_recorded_replies_assemble_into_their_parts(path):
    for interaction in _interactions(path):
        want = _expected(_reply_chunks(interaction))
        asm = assemble_recorded(interaction, PROTOCOL, parse_response)
        parts = asm.parts()
        assert asm.error is None
        assert "".join(p.text for p in parts if isinstance(p, TextPart)) == want["text"]
        assert "".join(p.text for p in parts if isinstance(p, ReasoningPart)) == want["thoughts"]
        signed = [(p.type, p.provider_metadata["gemini"]["thoughtSignature"]) for p in parts
                  if p.provider_metadata and "gemini" in p.provider_metadata]
        assert signed == want["signed"]
        calls = [(p.name, p.tool_call_id, p.arguments) for p in parts
                 if isinstance(p, ToolCallPart)]
        assert calls == want["calls"]
        u = want["usage"]
        assert asm.usage.input == u["promptTokenCount"]
        thoughts = u.get("thoughtsTokenCount")
        assert asm.usage.output == u.get("candidatesTokenCount", 0) + (thoughts or 0)
        assert (asm.usage.details or {}).get("reasoning_tokens") == thoughts
        assert want["finish"] == "STOP"
        assert asm.stop_reason == ("tool_calls" if want["calls"] else "stop")
        assert asm.response_id == _reply_chunks(interaction)[-1]["responseId"]


# -- 3. a tool loop's second request is the first + the reply + the tool result ----------------


def _loops() -> list[Any]:
    return [c for c in CASSETTES if c.values[0] is not None
            and len(_load(c.values[0]).interactions) >= 2] or CASSETTES[:1]


@pytest.mark.parametrize("path", _loops())
def test_tool_loop_second_request_replays_reply_and_result(path):
    interactions = _interactions(path)
    if len(interactions) < 2:
        pytest.skip("a single-request recording")
    first, second = interactions[0], interactions[1]
    conversation = from_body(first.request_json, "first").conversation
    reply = assemble_recorded(first, PROTOCOL, parse_response).message()
    assert reply.role == "assistant"
    later = from_body(second.request_json, "second").conversation.messages
    results: list[Message] = []
    for msg in reversed(later):
        if msg.role != "tool":
            break
        results.insert(0, msg)
    assert results, "the second request ends with tool results"
    conversation.messages += [reply, *results]
    exported, losses = to_body(conversation)
    assert [str(loss) for loss in losses] == []
    replied_ids = any(p.tool_call_id for p in reply.parts if isinstance(p, ToolCallPart))
    assert substance(exported, replayed_ids=replied_ids) == substance(
        second.request_json, replayed_ids=replied_ids)
    # The signature goes back on the very part it came with.
    sent = [p for c in exported["contents"] for p in c["parts"] if "thoughtSignature" in p]
    recorded = [p for c in second.request_json["contents"] for p in c["parts"]
                if "thoughtSignature" in p]
    assert [p["thoughtSignature"] for p in sent] == [p["thoughtSignature"] for p in recorded]


# -- the parser on real socket chunking ---------------------------------------------------------


def _streamed(name: str) -> Interaction:
    recordings_or_skip()
    path = RECORDINGS / name
    if not path.is_file():
        pytest.skip(f"{name} not recorded")
    return _load(path).interactions[0]


@pytest.mark.parametrize("chunking", ["events", "7-byte slices"])
def test_loopback_stream_assembles_thought_and_signed_call(loopback, chunking):
    interaction = _streamed("TestGoogleThinking/gemini-2.5-flash/thinking-streaming.yaml")
    raw = interaction.response_body.encode()
    if chunking == "events":
        reply = Reply.sse(interaction.response_body.replace("\r\n", "\n"))
    else:
        reply = Reply(chunks=[raw[i:i + 7] for i in range(0, len(raw), 7)],
                      headers={"Content-Type": "text/event-stream"})
    loopback.queue(reply)
    conversation = from_body(interaction.request_json).conversation
    conversation.settings.model = "gemini-2.5-flash"
    request = PROTOCOL.build_request(conversation, base_url=loopback.url, api_key="k-test")

    with httpx.Client() as client, client.stream(
            request.method, request.url, headers=request.headers, json=request.body) as resp:
        assert resp.status_code == 200
        received_frames = decode(resp.iter_bytes())

    received = loopback.received[0]
    assert received.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert received.headers["x-goog-api-key"] == "k-test"
    assert received.json == request.body
    asm = assemble(PROTOCOL.new_parser(), received_frames)
    parts = asm.parts()
    assert [p.type for p in parts] == ["reasoning", "tool_call"]
    assert parts[0].text.startswith("**Determining the Weather Inquiry**")
    assert parts[1].name == "weather"
    assert parts[1].arguments == {"location": "Florence, Italy"}
    assert parts[1].provider_metadata["gemini"]["thoughtSignature"].startswith("CiQBvj72")
    assert asm.stop_reason == "tool_calls"
    assert (asm.usage.input, asm.usage.output) == (54, 76)
