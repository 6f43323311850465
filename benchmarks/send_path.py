"""The send path's CPU against the official SDKs, `llm` and a bare-httpx floor, on the same bytes.

A loopback server (in this process, on its own thread) serves one long streamed reply; each
consumer reads all of it and the main thread's CPU time is measured (``time.thread_time``, so
the server's own work is not counted):

- floor: a bare ``httpx`` client that splits lines and parses each event's JSON, nothing else;
- the official SDK's stream iterator (``openai`` for Chat Completions, ``anthropic``);
- ``llm``'s Python API on the same server (Chat Completions only: its OpenAI-compatible models);
- ``llm-composer send`` in process: parse, assemble, print to a null stdout, and write the
  exchange with its raw event log, as a user's ``send --out`` does.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WORDS = ["Here", "is", "some", "text", "with", "`code`", "and", "a", "list:\n\n- item\n"]


def chat_body(events: int) -> bytes:
    out = []
    for i in range(events):
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                 "choices": [{"index": 0, "delta": {"content": WORDS[i % len(WORDS)] + " "},
                              "finish_reason": None}]}
        out.append(f"data: {json.dumps(chunk)}\n\n")
    end = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    out.append(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n")
    return "".join(out).encode()


def anthropic_body(events: int) -> bytes:
    def event(name: str, data: dict) -> str:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n"

    out = [event("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        event("content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": {"type": "text", "text": ""}})]
    out += [event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta",
                                                    "text": WORDS[i % len(WORDS)] + " "}})
            for i in range(events)]
    out += [event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event("message_delta", {"type": "message_delta",
                                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                    "usage": {"output_tokens": events}}),
            event("message_stop", {"type": "message_stop"})]
    return "".join(out).encode()


@dataclass
class Consumer:
    name: str
    run: Callable[[str], object]  # base URL -> anything (the work is reading the stream)


def _floor(path: str) -> Callable[[str], object]:
    def run(url: str) -> int:
        import httpx

        parsed = 0
        with httpx.Client() as client, client.stream(
                "POST", url + path, json={"model": "m", "stream": True}) as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])
                    parsed += 1
        return parsed
    return run


def _openai_sdk(url: str) -> int:
    import openai

    client = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
    n = 0
    for _chunk in client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True):
        n += 1
    return n


def _anthropic_sdk(url: str) -> int:
    import anthropic

    client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    n = 0
    for _event in client.messages.create(model="m", max_tokens=10, stream=True,
                                         messages=[{"role": "user", "content": "hi"}]):
        n += 1
    return n


def _llm(url: str) -> int:
    from llm.default_plugins.openai_models import Chat

    model = Chat("bench-model", model_name="m", api_base=url + "/v1")
    model.key = "x"
    return sum(1 for _ in model.prompt("hi", stream=True))


def _composer(provider: str) -> Callable[[str], object]:
    def run(url: str) -> int:
        from composer.main import main

        with tempfile.TemporaryDirectory() as tmp:
            convo = Path(tmp) / "c.json"
            convo.write_text(json.dumps({"messages": [
                {"role": "user", "parts": [{"type": "text", "text": "hi"}]}]}))
            base = url + "/v1" if provider == "custom" else url
            with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), \
                    contextlib.redirect_stderr(io.StringIO()):
                code = main(["send", str(convo), "--provider", provider, "--model", "m",
                             "--base-url", base, "--trust-base-url",
                             "--out", str(Path(tmp) / "x.json")])
            if code != 0:
                raise RuntimeError(f"send exited {code}")
        return code
    return run


def measure(events: int, runs: int = 3) -> dict[str, dict[str, float]]:
    """CPU seconds (best of ``runs``) per consumer, per protocol."""
    from tests.loopback import LoopbackServer, Reply

    os.environ.setdefault("ANTHROPIC_API_KEY", "x")
    plans = {
        "openai-chat": (chat_body(events), [
            Consumer("bare httpx floor", _floor("/v1/chat/completions")),
            Consumer("openai SDK", _openai_sdk), Consumer("llm", _llm),
            Consumer("composer send", _composer("custom"))]),
        "anthropic": (anthropic_body(events), [
            Consumer("bare httpx floor", _floor("/v1/messages")),
            Consumer("anthropic SDK", _anthropic_sdk),
            Consumer("composer send", _composer("anthropic"))]),
    }
    results: dict[str, dict[str, float]] = {}
    for protocol, (body, consumers) in plans.items():
        server = LoopbackServer().start()
        chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)]
        try:
            figures = results.setdefault(protocol, {})
            for consumer in consumers:
                best = float("inf")
                for _ in range(runs):
                    server.queue(Reply(chunks=chunks,
                                       headers={"Content-Type": "text/event-stream"}))
                    cpu = time.thread_time()
                    try:
                        consumer.run(server.url)
                    except ImportError:  # an SDK or llm not installed: not measured
                        server.stop()
                        server = LoopbackServer().start()
                        break
                    best = min(best, time.thread_time() - cpu)
                if best < float("inf"):
                    figures[consumer.name] = best
        finally:
            server.stop()
    return results


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24_000
    for protocol, figures in measure(n).items():
        floor = figures["bare httpx floor"]
        for name, cpu in figures.items():
            print(f"{protocol:12} {name:18} {cpu * 1000:8.1f} ms CPU  {cpu / floor:5.2f}x floor")
