"""Results panes under a fast stream: a Chat Completions reply of N deltas (Markdown with code
blocks and lists) served by the loopback server at full speed, parsed by the real protocol and
fed to one or more real results panes in the qasync loop, as a run does.

Measures the event loop's longest and 99th-percentile stall (the lateness of a 5 ms timer), the
time from the server's last byte until every pane is caught up (all text shown, its Markdown
rendered), and the process CPU time.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

WORDS = ["Here", "is", "**some**", "text", "with", "`code`", "and", "a", "list:\n\n- item\n",
         "```python\ndef f(x):\n    return x * 2  # doubled\n```\n\n"]


def reply_text(deltas: int) -> list[str]:
    return [WORDS[i % len(WORDS)] + " " for i in range(deltas)]


def sse_body(pieces: list[str]) -> bytes:
    lines = [json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}) for p in pieces]
    lines.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    return "".join(f"data: {line}\n\n" for line in lines).encode() + b"data: [DONE]\n\n"


@dataclass
class StreamResult:
    deltas: int
    panes: int
    chars: int
    max_stall_ms: float
    p99_stall_ms: float
    caught_up_ms: float
    cpu_s: float
    wall_s: float
    p99_cpu_stall_ms: float = 0.0  # the p99 stall in the GUI thread's CPU time (stall.py)


def run(deltas: int, panes: int = 1) -> StreamResult:
    from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

    from benchmarks.stall import StallMeter
    from composer.models.assembler import Assembler
    from composer.models.conversation import Conversation
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from composer.providers.transport import Call, run_call
    from composer.views.app import make_loop
    from composer.views.results.pane import ResultsPane
    from tests.loopback import LoopbackServer, Reply

    app = QApplication.instance()
    body = sse_body(reply_text(deltas))
    server = LoopbackServer().start()
    # Big network reads, as a fast local server gives them.
    chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)]
    server.queue(*[Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})
                   for _ in range(panes)])
    window = QWidget()
    row = QHBoxLayout(window)
    columns = [ResultsPane() for _ in range(panes)]
    for pane in columns:
        row.addWidget(pane)
    window.resize(700 * panes, 900)
    window.show()
    app.processEvents()
    meter = StallMeter()
    conversation = Conversation(messages=[Message.text("user", "hi")],
                                settings=RequestSettings(provider="ollama", model="m",
                                                         base_url=server.url + "/v1"))
    last_byte: list[float] = []
    kept: list = []  # the window keeps each run's exchange: dropping one is not the stream's

    async def one(pane: ResultsPane) -> None:
        assembler = Assembler()
        pane.begin(assembler)
        call = Call(conversation.model_copy(deep=True))
        exchange = await run_call(call, assembler, lambda event, index: pane.feed(event, index))
        last_byte.append(time.perf_counter())
        kept.append((call, exchange))
        pane.end(exchange)

    async def main() -> float:
        meter.start()
        await asyncio.gather(*(one(p) for p in columns))
        while not all(p.caught_up for p in columns):
            await asyncio.sleep(0.001)
        done = time.perf_counter()
        meter.stop()
        return done

    cpu0, wall0 = time.process_time(), time.perf_counter()
    with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:
        done = runner.run(main())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server.stop()
    chars = sum(len(p.blocks_of(_text_block())[0].text) for p in columns)
    window.close()
    window.deleteLater()
    app.processEvents()
    return StreamResult(deltas, panes, chars, meter.max_ms, meter.p99_ms,
                        (done - max(last_byte)) * 1000, cpu, wall, meter.cpu_p99_ms)


def _text_block():
    from composer.views.results.blocks import TextBlock

    return TextBlock


def final_render(chars: int = 545_000, reasoning: bool = False) -> tuple[float, float]:
    """The end of a long reply (or of its reasoning, which streams plain and is rendered as
    Markdown once finished): the longest stall from the last delta until the pane is caught up,
    and the time that takes (ms). The text streamed in through ``feed`` beforehand."""
    from PySide6.QtWidgets import QApplication

    from benchmarks.stall import StallMeter
    from composer.models.assembler import Assembler
    from composer.models.events import Finish, ReasoningDelta, TextDelta
    from composer.models.exchange import Exchange, ExchangeExtras
    from composer.views.results.pane import ResultsPane

    app = QApplication.instance()
    pane = ResultsPane()
    pane.resize(700, 900)
    pane.show()
    assembler = Assembler()
    pane.begin(assembler)
    pieces, total = [], 0
    while total < chars:
        piece = WORDS[len(pieces) % len(WORDS)] + " "
        pieces.append(piece)
        total += len(piece)
    for i in range(0, len(pieces), 500):
        for piece in pieces[i:i + 500]:
            event = ReasoningDelta("r", piece) if reasoning else TextDelta("t", piece)
            pane.feed(event, assembler.feed(event))
        pane.flush()
        while not pane.caught_up:  # streamed at the pace it renders, so the end is the end
            app.processEvents()
    event = Finish("stop")
    pane.feed(event, assembler.feed(event))
    meter = StallMeter()
    meter.start()
    start = time.perf_counter()
    pane.end(Exchange(messages=[assembler.message()], composer=ExchangeExtras(stop_reason="stop")))
    while not pane.caught_up:
        app.processEvents()
    took = (time.perf_counter() - start) * 1000
    app.processEvents()
    meter.stop()
    pane.close()
    pane.deleteLater()
    return meter.max_ms, took
