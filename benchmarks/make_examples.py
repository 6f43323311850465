"""Regenerate composer/resources/examples/{exchange,conversation}.json.

The example exchange is our own: a Gemini SSE event log written here by hand (a thought, text
with a fenced code block, a functionCall, a small generated PNG, usage), whose reply message is
made by replaying that log through the real Gemini parser, so the two always agree.

    python benchmarks/make_examples.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from composer.models.conversation import Conversation  # noqa: E402
from composer.models.exchange import Exchange, ExchangeExtras, LogEntry, Timing  # noqa: E402
from composer.models.files import save  # noqa: E402
from composer.models.parts import Message  # noqa: E402
from composer.models.settings import RequestSettings, Tool  # noqa: E402
from composer.providers.transport import Call, CallConfig, run_call  # noqa: E402

EXAMPLES = ROOT / "composer" / "resources" / "examples"
MODEL = "gemini-2.5-flash-image"
URL = ("https://generativelanguage.googleapis.com/v1beta/models/"
       f"{MODEL}:streamGenerateContent?alt=sse")
RESPONSE_ID = "example-0001"


def png(width: int, height: int, pixel) -> bytes:
    """An RGBA PNG whose pixels come from ``pixel(x, y) -> (r, g, b, a)``."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def sun_pixel(x: int, y: int) -> tuple[int, int, int, int]:
    cx = cy = 11.5
    r = math.hypot(x - cx, y - cy)
    if r <= 5.5:
        return (255, 196, 0, 255)
    angle = math.atan2(y - cy, x - cx)
    if 7.5 <= r <= 10.5 and abs(math.sin(4 * angle)) < 0.28:
        return (255, 140, 0, 255)
    return (0, 0, 0, 0)


SYSTEM = "You are a helpful assistant. Keep answers short; use code blocks for code."
QUESTION = ("Write a Python function that tells whether a number is prime, check the weather "
            "in Lisbon for me, and draw a tiny sun icon.")
WEATHER = Tool(name="get_weather", description="Current weather for a city",
               parameters={"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]})

TEXT_CHUNKS = [
    "Here is a small prime check:\n\n```python\n",
    "def is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n",
    "    for d in range(2, int(n ** 0.5) + 1):\n        if n % d == 0:\n",
    "            return False\n    return True\n```\n\n",
    "It tries divisors up to the square root. Now the weather, and your sun:",
]


def chunk_data(parts: list[dict], usage: dict, finish: str | None = None) -> str:
    candidate: dict = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return json.dumps({"candidates": [candidate], "usageMetadata": usage,
                       "modelVersion": MODEL, "responseId": RESPONSE_ID})


def events() -> list[LogEntry]:
    sun = base64.b64encode(png(24, 24, sun_pixel)).decode("ascii")
    prompt_tokens = 58
    out: list[LogEntry] = []
    t = 0.42

    def add(parts: list[dict], output: int, thoughts: int, finish: str | None = None,
            gap: float = 0.07) -> None:
        nonlocal t
        usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output,
                 "thoughtsTokenCount": thoughts,
                 "totalTokenCount": prompt_tokens + output + thoughts}
        out.append(LogEntry(t=round(t, 3), data=chunk_data(parts, usage, finish)))
        t += gap

    add([{"text": "**Planning the answer**\n\nThree asks: a prime test, the weather (I have "
          "a tool for that), and an image.", "thought": True}], 0, 31, gap=0.38)
    add([{"text": " A trial-division function is clearest; I'll call get_weather for Lisbon "
          "and draw a small sun.", "thought": True}], 0, 52, gap=0.3)
    for i, text in enumerate(TEXT_CHUNKS):
        part: dict = {"text": text}
        if i == 0:
            part["thoughtSignature"] = "ZXhhbXBsZS1zaWduYXR1cmUtMQ=="
        add([part], 14 * (i + 1), 52)
    add([{"functionCall": {"name": "get_weather", "args": {"city": "Lisbon"}}}], 84, 52,
        gap=0.25)
    add([{"inlineData": {"mimeType": "image/png", "data": sun}}], 342, 52, gap=0.05)
    add([{"text": ""}], 342, 52, finish="STOP")
    return out


def conversation() -> Conversation:
    return Conversation(
        messages=[Message.text("system", SYSTEM), Message.text("user", QUESTION)],
        settings=RequestSettings(provider="gemini", model=MODEL, tools=[WEATHER],
                                 options={"temperature": 0.4}),
    )


async def build_exchange() -> Exchange:
    entries = events()
    conv = conversation()
    skeleton = Exchange(model=MODEL, prompt={"messages": conv.messages},
                        composer=ExchangeExtras(settings=conv.settings, protocol="gemini",
                                                events=entries))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "skeleton.json"
        save(skeleton, path)
        replay_conv = conv.model_copy(deep=True)
        replay_conv.settings = RequestSettings(provider="replay", base_url=str(path))
        replayed = await run_call(Call(replay_conv, config=CallConfig(replay_speed=0)))
    if replayed.composer.error is not None:
        raise SystemExit(f"the example does not replay cleanly: {replayed.composer.error}")
    last = entries[-1].t
    return Exchange(
        model=MODEL,
        prompt={"messages": conv.messages, "options": conv.settings.options},
        messages=replayed.messages,
        id=replayed.id,
        usage=replayed.usage,
        datetime_utc="2026-01-15T09:30:00",
        composer=ExchangeExtras(
            settings=conv.settings, protocol="gemini", url=URL, status=200,
            stop_reason=replayed.composer.stop_reason,
            timing=Timing(started_utc="2026-01-15T09:30:00", first_byte_ms=entries[0].t * 1000,
                          first_token_ms=entries[0].t * 1000, total_ms=round(last * 1000 + 20)),
            events=entries,
        ),
    )


def starter_conversation(exchange: Exchange) -> Conversation:
    """The first-start conversation: the example's own prompt set to replay, so the first Send
    answers the question on screen."""
    settings = exchange.composer.settings.model_copy(update={"provider": "replay", "model": ""})
    return Conversation(messages=exchange.prompt.messages, settings=settings)


def main() -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    exchange = asyncio.run(build_exchange())
    save(exchange, EXAMPLES / "exchange.json")
    save(starter_conversation(exchange), EXAMPLES / "conversation.json")
    kinds = [p.type for m in exchange.messages for p in m.parts]
    print(f"wrote {EXAMPLES / 'exchange.json'} ({', '.join(kinds)}) and conversation.json")


if __name__ == "__main__":
    main()
