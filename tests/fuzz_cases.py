"""What the fuzz suite (tests/fuzz.py) feeds the readers: hostile values, mutations of real
files and streams, generated conversations, and the seeds they start from.

Every function takes a seeded ``random.Random``, so a case is the same on every run.
"""

from __future__ import annotations

import base64
import json
import os
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from composer.models import formats
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.parts import (
    AttachmentPart,
    Citation,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.paths import RESOURCES
from composer.providers.base import Frame
from composer.providers.presets import protocol_for
from composer.providers.sse import decoder_for

# ../shared beside the checkout (as tests/conftest.py finds it; CI lays a copy there too).
RECORDINGS = Path(os.environ.get(
    "COMPOSER_SHARED", Path(__file__).resolve().parents[1].parent / "shared")) / "recordings"

# -- hostile values -----------------------------------------------------------------------------

HOSTILE_STRINGS = [
    "", " ", "\x00", "\ud800", "\udc00x", "\ud83d", "\ude00", "\ufeff", "\u202e", "\r", "\r\n",
    "\n\n", "[", "{", "]", "}", "\"", "\\", "<!-- composer:part {} -->", "## User", "```",
    "\U0001F600", "a" * 5000, "null", "[DONE]", "data: x", "-->", "💥" * 50,
]
HOSTILE_NUMBERS = [0, -1, 1.5, 2 ** 63, -(2 ** 63), 10 ** 30, float("inf"), float("nan"), True]


def deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(HOSTILE_STRINGS)
    if roll < 0.4:
        return rng.choice(HOSTILE_NUMBERS)
    if roll < 0.5:
        return rng.choice([None, True, False, [], {}, [[]], {"type": []}, {"type": {}}])
    if roll < 0.55:
        return deep(rng.choice([5, 50, 99, 150]))
    if roll < 0.75 and depth < 3:
        return {rng.choice(KEYS): hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if roll < 0.9 and depth < 3:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(KEYS)


# Keys every format reads, so mutations land where the readers look.
KEYS = ["type", "role", "content", "text", "parts", "messages", "input", "contents", "id", "name",
        "arguments", "input_schema", "tool_calls", "function", "call_id", "output", "data",
        "source", "media_type", "image_url", "url", "inlineData", "functionCall", "thought",
        "thinking", "signature", "index", "delta", "choices", "usage", "item", "item_id",
        "output_index", "content_block", "candidates", "finishReason", "error", "model",
        "composer", "kind", "format_version", "settings", "prompt", "conversations", "from",
        "value", "attachments", "attachment", "tool_call_id", "provider_metadata", "system",
        "instructions", "file_data", "mime_type", "mimeType", "citations", "annotations",
        "summary", "encrypted_content", "response", "partial_json", "stop_reason", "tools",
        "details", "retryDelay", "status", "code", "message", "data", "models"]


def mutate_value(value: Any, rng: random.Random, rounds: int = 3) -> Any:
    """``value`` (a parsed JSON document) with a few nodes replaced, dropped or added."""
    value = json.loads(json.dumps(value))
    for _ in range(rounds):
        nodes = list(_nodes(value))
        if not nodes:
            return hostile_value(rng)
        parent, key = rng.choice(nodes)
        action = rng.random()
        if action < 0.5:
            parent[key] = hostile_value(rng)
        elif action < 0.65:
            del parent[key]
        elif action < 0.8 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = hostile_value(rng)
        elif isinstance(parent, list):
            parent.insert(rng.randint(0, len(parent)), hostile_value(rng))
        else:
            parent[key] = [parent[key]] if rng.random() < 0.5 else {"type": parent[key]}
    return value


def _nodes(value: Any, limit: int = 400) -> Iterator[tuple[Any, Any]]:
    stack = [value]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for key, child in list(items):
            seen += 1
            yield node, key
            if isinstance(child, dict | list):
                stack.append(child)


def mutate_text(text: str, rng: random.Random) -> str:
    """Text-level damage: cuts, splices, flipped characters, other line ends, odd characters."""
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        at = rng.randint(0, len(text))
        if roll < 0.2:
            text = text[:at]
        elif roll < 0.4:
            text = text[:at] + rng.choice(HOSTILE_STRINGS) + text[at:]
        elif roll < 0.5:
            text = text.replace("\n", rng.choice(["\r", "\r\n", ""]))
        elif roll < 0.6 and text:
            text = text[:at] + chr(rng.randint(0, 0x2FF)) + text[at + 1:]
        elif roll < 0.7:
            end = rng.randint(at, len(text))
            text = text[:at] + text[at:end] * rng.randint(2, 4) + text[end:]
        elif roll < 0.8:
            text = text[:at] + rng.choice(["[" * 2000, "{\"a\":" * 300, "9" * 5000]) + text[at:]
        else:
            end = min(len(text), at + rng.randint(1, 40))
            text = text[:at] + text[end:]
    return text


# -- generated conversations --------------------------------------------------------------------


def random_text(rng: random.Random) -> str:
    pieces = ["hello", " ", "world", "\n", "é", "中文", "\U0001F600", "```", "## User", "<b>",
              "\t", "\"", "\\", "{", "}", "-->", "\r\n", "*", "[x](y)", "\u200b"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


def random_arguments(rng: random.Random) -> dict[str, Any]:
    pool = [1, -2.5, 10 ** 20, True, None, "s", random_text(rng), [1, "a"], {"k": {"j": [None]}},
            deep(rng.randint(1, 60))]
    return {random_text(rng) or "k": rng.choice(pool) for _ in range(rng.randint(0, 4))}


def random_part(rng: random.Random, role: str) -> Any:
    meta = rng.choice([None, None, {"anthropic": {"signature": "sig"}},
                       {"gemini": {"thoughtSignature": "abc"}}, {"openai": {"id": "rs_1"}}])
    kind = rng.choice(["text", "text", "reasoning", "tool_call", "tool_result", "attachment"])
    if kind == "text":
        cites = [Citation(url="https://x.test", title=random_text(rng))] if rng.random() < .1 \
            else None
        return TextPart(text=random_text(rng), provider_metadata=meta, citations=cites)
    if kind == "reasoning":
        return ReasoningPart(text=random_text(rng), redacted=rng.random() < .2,
                             provider_metadata=meta)
    if kind == "tool_call":
        return ToolCallPart(name=rng.choice(["f", "get_weather", random_text(rng)]),
                            arguments=random_arguments(rng),
                            tool_call_id=rng.choice([None, "c1", "call_2"]),
                            server_executed=rng.random() < .2, provider_metadata=meta)
    if kind == "tool_result":
        return ToolResultPart(name="f", output=random_text(rng),
                              tool_call_id=rng.choice([None, "c1"]),
                              exception=rng.choice([None, "boom"]), provider_metadata=meta)
    choice = rng.random()
    if choice < 0.4:
        att = Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(20), name="a.png")
    elif choice < 0.7:
        att = Attachment.from_url("https://example.test/a.pdf", mime="application/pdf")
    else:
        att = Attachment(type="audio/wav", content=base64.b64encode(rng.randbytes(30)).decode())
    return AttachmentPart(attachment=att, provider_metadata=meta)


def random_conversation(rng: random.Random) -> Conversation:
    conversation = Conversation()
    for i in range(rng.randint(1, 6)):
        role = rng.choice(["system", "user", "assistant", "tool"]) if i else "user"
        parts = [random_part(rng, role) for _ in range(rng.randint(1, 3))]
        conversation.messages.append(Message(role=role, parts=parts))
    conversation.settings.model = rng.choice(["", "gpt-4o", "claude-x", random_text(rng)])
    return conversation


# -- seeds ------------------------------------------------------------------------------------


@cache
def _cassettes() -> tuple[tuple[str, str, str], ...]:
    """(protocol, request body, response body) of every recorded interaction, when present."""
    root = RECORDINGS / "fantasy"
    if not root.is_dir():
        return ()
    from tests.cassettes import load, protocol_of

    out = []
    for path in sorted(root.rglob("*.yaml")):
        for it in load(path).interactions:
            protocol = protocol_of(it)
            if protocol is not None:
                out.append((protocol, it.request_body, it.response_body))
    return tuple(out)


@cache
def file_seeds() -> tuple[str, ...]:
    rng = random.Random(1)
    seeds = [(RESOURCES / "examples" / name).read_text(encoding="utf-8")
             for name in ("conversation.json", "exchange.json")]
    for _ in range(6):
        conversation = random_conversation(rng)
        for fmt in formats.exporters():
            seeds.append(fmt.dump(conversation).text)
    seeds += [body for _, body, _ in _cassettes() if body.strip()][:60]
    seeds += ['{"conversations": [{"from": "human", "value": "hi"}]}\n' * 3,
              "## User\rhi\r## Assistant\rho", "[" * 3000, "1" * 5000,
              '{"messages": [{"role": "user", "content": [{"type": []}]}]}',
              '{"messages": [{"role": "user", "content": "\\ud800"}]}']
    return tuple(seeds)


@cache
def seeds_of(fmt: str) -> tuple[str, ...]:
    """The seeds auto-detection reads as ``fmt``: mutating these reaches deep into its reader."""
    own = []
    for seed in file_seeds():
        try:
            if formats.detect(seed).name == fmt:
                own.append(seed)
        except FormatError:
            continue
    return tuple(own) or file_seeds()


def file_case(rng: random.Random, fmt: str | None = None) -> str:
    """A damaged file: mostly one of ``fmt``'s own when a format is named, else any seed."""
    pool = seeds_of(fmt) if fmt is not None and rng.random() < 0.75 else file_seeds()
    seed = rng.choice(pool)
    try:
        value = json.loads(seed)
    except (ValueError, RecursionError):
        return mutate_text(seed, rng)
    if rng.random() < 0.7:
        return json.dumps(mutate_value(value, rng, rng.randint(1, 4)),
                          ensure_ascii=rng.random() < .5)
    return mutate_text(seed, rng)


@cache
def _logs_db_seed() -> bytes:
    """A small llm logs.db: the store's tables as llm writes them, one conversation."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "logs.db"
        with sqlite3.connect(path) as conn:
            conn.executescript("""
            CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT);
            CREATE TABLE responses (id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT,
              prompt_json TEXT, options_json TEXT, response TEXT, response_json TEXT,
              conversation_id TEXT, duration_ms INTEGER, datetime_utc TEXT,
              input_tokens INTEGER, output_tokens INTEGER, token_details TEXT);
            INSERT INTO conversations VALUES ('c1', 'x', 'gpt-4o');
            INSERT INTO responses VALUES ('r1', 'gpt-4o', 'hi', NULL, NULL, '{}', 'hello', NULL,
              'c1', 5, '2025-01-01T00:00:00', 1, 2, NULL);
            """)
        conn.close()
        return path.read_bytes()


def binary_case(rng: random.Random) -> bytes:
    data = bytearray(_logs_db_seed())
    for _ in range(rng.randint(1, 20)):
        at = rng.randrange(16, len(data))
        data[at] = rng.randrange(256)
    if rng.random() < 0.2:
        data = data[: rng.randint(16, len(data))]
    return bytes(data)


# -- streams -----------------------------------------------------------------------------------


def _frames_of(body: str, protocol: str) -> list[Frame]:
    decoder = decoder_for(protocol_for(protocol).framing)
    return decoder.feed(body.encode("utf-8")) + decoder.close()


@cache
def stream_seeds(protocol: str) -> tuple[tuple[Frame, ...], ...]:
    seeds = [tuple(_frames_of(body, protocol)) for p, _, body in _cassettes()
             if p == protocol and body.strip()]
    hand = {
        "anthropic": [[("message_start", {"type": "message_start", "message": {"id": "m"}}),
                       ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                "delta": {"type": "text_delta", "text": "x"}}),
                       ("message_stop", {"type": "message_stop"})]],
        "openai-chat": [[(None, {"choices": [{"index": 0, "delta": {"content": "\ud83d"}}]}),
                         (None, {"choices": [{"index": 0, "delta": {"content": "\ude00"}}]})]],
        "openai-responses": [[("response.output_text.delta",
                               {"type": "response.output_text.delta", "item_id": "i",
                                "delta": "\ud83d"})]],
        "gemini": [[(None, {"candidates": [{"content": {"parts": [{"text": "\ud83d"}]}}]}),
                    (None, {"candidates": [{"content": {"parts": [{"text": "\ude00"}]},
                                            "finishReason": "STOP"}]})]],
    }
    for frames in hand[protocol]:
        seeds.append(tuple(Frame(data=json.dumps(d), event=e) for e, d in frames))
    return tuple(seeds)


def stream_case(protocol: str, rng: random.Random) -> bytes:
    """A mutated recorded stream as the bytes a server would send."""
    frames = list(rng.choice(stream_seeds(protocol)))
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if not frames or roll < 0.1:
            frames.append(Frame(data=json.dumps(hostile_value(rng)), event=rng.choice(
                [None, "error", "message_start", "content_block_delta", "response.completed"])))
            continue
        at = rng.randrange(len(frames))
        frame = frames[at]
        if roll < 0.55:
            try:
                value = json.loads(frame.data)
            except (ValueError, RecursionError):
                value = hostile_value(rng)
            frames[at] = Frame(json.dumps(mutate_value(value, rng, rng.randint(1, 3))),
                               frame.event)
        elif roll < 0.65:
            del frames[at]
        elif roll < 0.75:
            frames.insert(at, frame)
        elif roll < 0.85:
            frames[at:] = frames[at:][::-1]
        else:
            frames[at] = Frame(mutate_text(frame.data, rng), frame.event)
    return _sse(frames, protocol)


def _sse(frames: list[Frame], protocol: str) -> bytes:
    framing = protocol_for(protocol).framing
    if framing != "sse":
        return "".join(f.data.replace("\n", " ") + "\n" for f in frames).encode("utf-8")
    out = []
    for f in frames:
        head = f"event: {f.event}\n" if f.event else ""
        out.append(head + "".join(f"data: {line}\n" for line in f.data.split("\n")) + "\n")
    return "".join(out).encode("utf-8", "surrogatepass")


@cache
def reply_seeds(protocol: str) -> tuple[Any, ...]:
    """Recorded whole (non-streamed) replies of ``protocol``, parsed."""
    out = []
    for p, _, body in _cassettes():
        if p == protocol and body.lstrip().startswith("{"):
            try:
                out.append(json.loads(body))
            except ValueError:
                continue
    return tuple(out) or ({},)
