"""Structured replies in the providers' real stream shapes: the recorded frames of a real reply,
with the text deltas replaced by the fragments a test needs (an invalid value, a reply cut off
at max tokens). The recordings are read from ../shared, never copied."""

from __future__ import annotations

import copy
import json

from tests import cassettes
from tests.conftest import recordings_or_skip

CHAT_OBJECT = "TestOpenAIObjectGeneration/openai-gpt-4o-mini/simple_object_streaming.yaml"
ANTHROPIC_TEXT = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"

PERSON = {"type": "object", "additionalProperties": False, "required": ["name", "age", "city"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                         "city": {"type": "string"}}}


def chat_stream(fragments: list[str], finish: str = "stop") -> str:
    """OpenAI Chat SSE in the recorded reply's own shape, with ``fragments`` as the content
    deltas and ``finish`` as the finish reason."""
    body = cassettes.load(recordings_or_skip() / CHAT_OBJECT).interactions[0].response_body
    frames = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: {")]
    role, content, finished, usage = frames[0], frames[1], frames[-2], frames[-1]
    out = [role]
    for fragment in fragments:
        chunk = copy.deepcopy(content)
        chunk["choices"][0]["delta"]["content"] = fragment
        out.append(chunk)
    end = copy.deepcopy(finished)
    end["choices"][0]["finish_reason"] = finish
    out += [end, usage]
    return "".join(f"data: {json.dumps(f)}\n\n" for f in out) + "data: [DONE]\n\n"


def anthropic_stream(fragments: list[str], stop: str = "end_turn") -> str:
    """Anthropic Messages SSE in the recorded reply's own shape: one text block whose deltas
    are ``fragments``, ending with ``stop`` as the stop reason."""
    body = cassettes.load(recordings_or_skip() / ANTHROPIC_TEXT).interactions[0].response_body
    events = {}
    for line in body.splitlines():
        if line.startswith("data: {"):
            data = json.loads(line[6:])
            events.setdefault(data["type"], data)
    delta = events["content_block_delta"]
    out = [events["message_start"], events["content_block_start"]]
    for fragment in fragments:
        chunk = copy.deepcopy(delta)
        chunk["delta"]["text"] = fragment
        out.append(chunk)
    end = copy.deepcopy(events["message_delta"])
    end["delta"]["stop_reason"] = stop
    out += [events["content_block_stop"], end, events["message_stop"]]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in out)
