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


def gemini_body(events: int) -> bytes:
    """As Gemini streams: every chunk repeats the usage so far, the model and the response id."""
    out = []
    for i in range(events):
        chunk = {"candidates": [{"content": {"parts": [{"text": WORDS[i % len(WORDS)] + " "}],
                                             "role": "model"}, "index": 0}],
                 "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": i + 1,
                                   "totalTokenCount": i + 6},
                 "modelVersion": "m", "responseId": "r1"}
        if i == events - 1:
            chunk["candidates"][0]["finishReason"] = "STOP"
        out.append(f"data: {json.dumps(chunk)}\r\n\r\n")
    return "".join(out).encode()


def responses_body(events: int) -> bytes:
    """As the Responses API streams a text reply: typed events, the whole text again at the
    end (in the item's done event and in response.completed)."""
    def event(data: dict) -> str:
        return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"

    item = {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant",
            "content": []}
    response = {"id": "resp_1", "object": "response", "status": "in_progress", "model": "m",
                "output": [], "usage": None}
    seq = iter(range(events + 10))
    out = [event({"type": "response.created", "response": response, "sequence_number": next(seq)}),
           event({"type": "response.output_item.added", "output_index": 0, "item": item,
                  "sequence_number": next(seq)}),
           event({"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0,
                  "content_index": 0, "part": {"type": "output_text", "text": "",
                                               "annotations": []},
                  "sequence_number": next(seq)})]
    words = [WORDS[i % len(WORDS)] + " " for i in range(events)]
    out += [event({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "delta": word, "logprobs": [],
                   "sequence_number": next(seq)}) for word in words]
    text = "".join(words)
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    done = {**item, "status": "completed", "content": [part]}
    out += [event({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "text": text, "sequence_number": next(seq)}),
            event({"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "part": part, "sequence_number": next(seq)}),
            event({"type": "response.output_item.done", "output_index": 0, "item": done,
                   "sequence_number": next(seq)}),
            event({"type": "response.completed", "sequence_number": next(seq), "response": {
                **response, "status": "completed", "output": [done],
                "usage": {"input_tokens": 5, "output_tokens": events, "total_tokens": events + 5,
                          "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens_details": {"reasoning_tokens": 0}}}})]
    return "".join(out).encode()


FLOOR, OURS = "bare httpx floor", "composer send"


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
            base = url + "/v1" if provider in ("custom", "openai-responses") else url
            with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), \
                    contextlib.redirect_stderr(io.StringIO()):
                code = main(["send", str(convo), "--provider", provider, "--model", "m",
                             "--base-url", base, "--trust-base-url",
                             "--out", str(Path(tmp) / "x.json")])
            if code != 0:
                raise RuntimeError(f"send exited {code}")
        return code
    return run


def measure(events: int, runs: int = 3, only: tuple[str, ...] = (), others: bool = True
            ) -> dict[str, dict[str, float]]:
    """CPU seconds (best of ``runs``) per consumer, per protocol (``only`` these protocols,
    when given; without ``others``, only the floor and Composer)."""
    from tests.loopback import LoopbackServer, Reply

    for env in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY"):
        os.environ.setdefault(env, "x")
    plans = {
        "openai-chat": (chat_body(events), [
            Consumer(FLOOR, _floor("/v1/chat/completions")),
            Consumer("openai SDK", _openai_sdk), Consumer("llm", _llm),
            Consumer(OURS, _composer("custom"))]),
        "anthropic": (anthropic_body(events), [
            Consumer(FLOOR, _floor("/v1/messages")),
            Consumer("anthropic SDK", _anthropic_sdk),
            Consumer(OURS, _composer("anthropic"))]),
        "gemini": (gemini_body(events), [
            Consumer(FLOOR, _floor("/v1beta/models/m:streamGenerateContent")),
            Consumer(OURS, _composer("gemini"))]),
        "openai-responses": (responses_body(events), [
            Consumer(FLOOR, _floor("/v1/responses")),
            Consumer(OURS, _composer("openai-responses"))]),
    }
    if only:
        plans = {k: v for k, v in plans.items() if k in only}
    if not others:
        plans = {k: (body, [c for c in consumers if c.name in (FLOOR, OURS)])
                 for k, (body, consumers) in plans.items()}
    results: dict[str, dict[str, float]] = {}
    for protocol, (body, consumers) in plans.items():
        server = LoopbackServer().start()
        chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)]
        try:
            best = {c.name: float("inf") for c in consumers}
            # Round by round, each consumer once a round: a shared machine's load, which comes
            # and goes, weighs on the floor and on Composer alike.
            for _ in range(runs):
                for consumer in consumers:
                    if consumer.name not in best:
                        continue
                    server.queue(Reply(chunks=chunks,
                                       headers={"Content-Type": "text/event-stream"}))
                    cpu = time.thread_time()
                    try:
                        consumer.run(server.url)
                    except ImportError:  # an SDK or llm not installed: not measured
                        del best[consumer.name]
                        server.stop()
                        server = LoopbackServer().start()
                        continue
                    best[consumer.name] = min(best[consumer.name], time.thread_time() - cpu)
            results[protocol] = best
        finally:
            server.stop()
    return results


if __name__ == "__main__":
    import sys

    # python benchmarks/send_path.py [EVENTS] [PROTOCOL...] [--ours] [--runs=N]
    # (--ours: the floor and Composer only, no SDKs, no llm; N rounds, best of them: 3)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args and args[0].isdigit() else 24_000
    only = tuple(a for a in args if not a.isdigit())
    runs = next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--runs=")), 3)
    for protocol, figures in measure(n, runs, only=only, others="--ours" not in sys.argv).items():
        floor = figures[FLOOR]
        for name, cpu in figures.items():
            print(f"{protocol:16} {name:18} {cpu * 1000:8.1f} ms CPU  {cpu / floor:5.2f}x floor")
