"""The transport parses a stream a slice of frames at a time (GuardedParser.feed_frames): the deltas
of one part that follow each other are joined, and a parser holds back what it would report every
frame (a part's text; Gemini's usage too) until the slice ends. However the frames are cut into
slices, the reply assembled must be the one frame-by-frame parsing gives: every recorded stream of
every protocol, and streams made to break it (emoji split between chunks, thoughts, usage whose
counts come and go)."""

from __future__ import annotations

import json
import random

import pytest

from composer.models.assembler import Assembler
from composer.providers.guard import GuardedParser, open_parser
from composer.providers.presets import protocol_for
from tests import cassettes
from tests.framing import frames


def _assembled(protocol: str, body: str, sizes: list[int]) -> tuple[dict, int]:
    """``body``'s frames through the guard in slices of these sizes (cycled), joined across
    slices as the transport joins them, into an Assembler: what it holds, and what the guard
    replaced."""
    guard = open_parser(protocol_for(protocol))
    found, start, turn = frames(body, chunk_size=97), 0, 0
    events = []
    while start < len(found):
        size = sizes[turn % len(sizes)]
        events += guard.feed_frames(found[start:start + size])
        start, turn = start + size, turn + 1
    events = GuardedParser.joined(events) + guard.close()
    assembler = Assembler()
    for event in events:
        assembler.feed(event)
    message = assembler.message().to_dict()
    usage = assembler.usage_or_none()
    error = assembler.error_info()
    return {"message": message, "usage": usage.to_dict() if usage else None,
            "stop": assembler.stop_reason, "error": error.to_dict() if error else None,
            "notes": assembler.notes(), "id": assembler.response_id,
            "model": assembler.model}, guard.replaced


def _same_in_any_slices(protocol: str, body: str) -> None:
    one_by_one = _assembled(protocol, body, [1])
    rng = random.Random(body)
    for sizes in ([2], [32], [10_000], [rng.randint(1, 40) for _ in range(8)]):
        assert _assembled(protocol, body, sizes) == one_by_one, sizes


def _recorded() -> list[tuple[str, str, str]]:
    found = []
    for path in cassettes.all_cassettes():
        for n, it in enumerate(cassettes.load(path).interactions):
            protocol = cassettes.protocol_of(it)
            if protocol and it.streaming and it.status == 200 and it.response_body:
                found.append((f"{path.name}#{n}", protocol, it.response_body))
    return found


@pytest.mark.parametrize(("name", "protocol", "body"), _recorded() or [
    pytest.param("", "", "", marks=pytest.mark.skip("recordings not found (../shared)"))])
def test_every_recorded_stream_assembles_alike_in_any_slices(name, protocol, body):
    _same_in_any_slices(protocol, body)


def _gemini(*chunks: dict) -> str:
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)


def _text(text: str, usage: dict | None = None, **candidate) -> dict:
    chunk: dict = {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                                   "index": 0, **candidate}],
                   "modelVersion": "m", "responseId": "r"}
    if usage is not None:
        chunk["usageMetadata"] = usage
    return chunk


def _thought(text: str) -> dict:
    return {"candidates": [{"content": {"parts": [{"text": text, "thought": True}]},
                            "index": 0}], "modelVersion": "m", "responseId": "r"}


GEMINI = {
    "emoji split between chunks": _gemini(
        _text("a"), _text("b\ud83d"), _text("\ude00c"), _text("\ud83d"), _text("x"),
        _text("", finishReason="STOP")),
    "thoughts then text then thoughts": _gemini(
        _thought("think "), _thought("more"), _text("answer "), _text("goes"),
        _thought("again"), _text("on", finishReason="STOP")),
    "usage whose counts come and go": _gemini(
        _text("a", {"promptTokenCount": 3, "candidatesTokenCount": 1}),
        _text("b", {"promptTokenCount": 3, "candidatesTokenCount": 2,
                    "cachedContentTokenCount": 2}),
        _text("c", {"promptTokenCount": None, "candidatesTokenCount": 3,
                    "thoughtsTokenCount": 5}),
        _text("d", {"candidatesTokenCount": "4", "toolUsePromptTokenCount": 7}),
        _text("e", {"promptTokenCount": 9, "candidatesTokenCount": 5}),
        _text("f", {}),
        _text("g", {"promptTokenCount": 9, "candidatesTokenCount": 6}, finishReason="STOP")),
    "a call between text, and an unreadable chunk": _gemini(
        _text("before "),
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]},
                         "index": 0}]},
        _text("after")) + "data: {not json\r\n\r\n" + _gemini(_text("end", finishReason="STOP")),
    "a signature on a thought": _gemini(
        _thought("a"), {"candidates": [{"content": {"parts": [
            {"text": "b", "thought": True, "thoughtSignature": "sig"}]}, "index": 0}]},
        _thought("c"), _text("d", finishReason="STOP")),
}


@pytest.mark.parametrize("body", GEMINI.values(), ids=GEMINI.keys())
def test_gemini_streams_made_to_break_it_assemble_alike_in_any_slices(body):
    _same_in_any_slices("gemini", body)


def _sse(*events: tuple[str | None, dict]) -> str:
    return "".join((f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"
                   for name, data in events)


def _block_text(index: int, text: str) -> tuple[str, dict]:
    return "content_block_delta", {"type": "content_block_delta", "index": index,
                                   "delta": {"type": "text_delta", "text": text}}


def _chat(delta: dict, finish: str | None = None) -> tuple[None, dict]:
    return None, {"id": "c", "model": "m", "choices": [
        {"index": 0, "delta": delta, "finish_reason": finish}]}


def _output_text(output: int, text: str) -> tuple[str, dict]:
    return "response.output_text.delta", {"type": "response.output_text.delta",
                                          "output_index": output, "content_index": 0,
                                          "item_id": f"m{output}", "delta": text}


OTHERS = {
    "anthropic: two blocks in turn, an emoji split, a ping": ("anthropic", _sse(
        ("message_start", {"type": "message_start", "message": {"id": "x", "model": "m"}}),
        *[("content_block_start", {"type": "content_block_start", "index": i,
                                   "content_block": {"type": "text", "text": ""}})
          for i in (0, 1)],
        _block_text(0, "a\ud83d"), _block_text(0, "\ude00b"), _block_text(1, "c"),
        ("ping", {"type": "ping"}), _block_text(1, "d"), _block_text(0, "e"),
        *[("content_block_stop", {"type": "content_block_stop", "index": i}) for i in (0, 1)],
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}))),
    "chat: text, reasoning and a refusal in turn, an emoji split": ("openai-chat", _sse(
        _chat({"role": "assistant", "content": ""}), _chat({"content": "a\ud83d"}),
        _chat({"content": "\ude00"}), _chat({"reasoning_content": "hm"}),
        _chat({"content": "b"}), _chat({"refusal": "no"}), _chat({"content": "c"}),
        _chat({}, "stop")) + "data: [DONE]\n\n"),
    "responses: two messages in turn": ("openai-responses", _sse(
        ("response.created", {"type": "response.created",
                              "response": {"id": "r", "model": "m"}}),
        *[("response.output_item.added", {"type": "response.output_item.added",
                                          "output_index": i, "item": {
                                              "type": "message", "id": f"m{i}"}})
          for i in (0, 1)],
        _output_text(0, "a"), _output_text(0, "\ud83d"), _output_text(1, "x"),
        _output_text(0, "\ude00"), _output_text(1, "y"),
        ("response.completed", {"type": "response.completed", "response": {
            "status": "completed", "usage": {"input_tokens": 1, "output_tokens": 2}}}))),
}


@pytest.mark.parametrize(("protocol", "body"), OTHERS.values(), ids=OTHERS.keys())
def test_streams_made_to_break_it_assemble_alike_in_any_slices(protocol, body):
    _same_in_any_slices(protocol, body)
