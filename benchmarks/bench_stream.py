"""Feed a long reply through the results pane offscreen and print what it costs.

20,000 text deltas (Markdown with code blocks) after 2,000 reasoning deltas, arriving in bursts
as a fast stream would; the pane's own frame timer does the flushing. Numbers, not a test:

    python benchmarks/bench_stream.py [--deltas N]

(``python -m benchmarks`` runs the full set against their targets.)
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--reasoning", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=40, help="deltas per network read")
    parser.add_argument("--gap-ms", type=float, default=1.0, help="time between reads")
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication

    from composer.models.assembler import Assembler
    from composer.models.events import Finish, ReasoningDelta, TextDelta
    from composer.models.exchange import Exchange, ExchangeExtras
    from composer.views.app import create_app
    from composer.views.results.blocks import TextBlock
    from composer.views.results.pane import ResultsPane

    app = create_app()
    pane = ResultsPane()
    pane.resize(700, 900)
    pane.show()
    assembler = Assembler()
    pane.begin(assembler)

    words = ["Here", "is", "**some**", "text", "with", "`code`", "and", "a", "list:\n\n- item\n",
             "```python\ndef f(x):\n    return x * 2  # doubled\n```\n\n"]
    events = [ReasoningDelta("r", f"thought {i} ") for i in range(args.reasoning)]
    events += [TextDelta("t", words[i % len(words)] + " ") for i in range(args.deltas)]
    events.append(Finish("stop"))

    start = time.perf_counter()
    feed_time = 0.0
    for i in range(0, len(events), args.burst):
        t0 = time.perf_counter()
        for event in events[i:i + args.burst]:
            pane.feed(event, assembler.feed(event))
        feed_time += time.perf_counter() - t0
        QCoreApplication.processEvents()
        time.sleep(args.gap_ms / 1000)
    while not pane.caught_up:  # let the last frames come round
        QCoreApplication.processEvents()
        time.sleep(0.001)
    streamed = time.perf_counter() - start
    t0 = time.perf_counter()
    pane.end(Exchange(messages=[assembler.message()], composer=ExchangeExtras(stop_reason="stop")))
    finish = time.perf_counter() - t0
    total = time.perf_counter() - start

    n = len(events)
    text_block = pane.blocks_of(TextBlock)[0]
    print(f"events          {n:,} ({args.reasoning:,} reasoning + {args.deltas:,} text deltas)")
    print(f"reply size      {len(text_block.text):,} characters")
    print(f"flushes         {pane.flush_count:,} (one per frame at most; "
          f"{n / max(pane.flush_count, 1):.0f} deltas each)")
    print(f"rendered chars  {text_block.stream.rendered_chars:,} (each finished block once)")
    print(f"feed per delta  {feed_time / n * 1e6:.1f} µs (buffering only)")
    print(f"stream total    {streamed:.3f} s = {streamed / n * 1e6:.1f} µs per delta "
          "(includes flushes and paints)")
    print(f"final render    {finish * 1000:.1f} ms")
    print(f"total           {total:.3f} s")
    del app


if __name__ == "__main__":
    main()
