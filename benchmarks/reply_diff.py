"""The diff of two long replies (issue 10, item 6; issue 11, item 5): two replies of about N
model tokens (prose in paragraphs, lists, a code block; about four characters a token) that
differ in scattered words, a reasoning part and a tool call, compared by the pure core and shown
in the reply diff window offscreen.

Measures the diff alone, the diff and the window's first paint (what a user waits for after
Compare), and the time until the whole page is in the window (the rest is added a piece per
event-loop turn, so the window answers meanwhile). Best of a few runs: the machine is shared.

    QT_QPA_PLATFORM=offscreen python -m benchmarks.reply_diff [TOKENS]
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass

CHANGES = 40  # scattered word edits in the text


@dataclass
class DiffTimes:
    chars: int
    diff_ms: float
    first_paint_ms: float  # diff + window + first paint
    complete_ms: float  # diff + window + every piece of the page added


def reply_text(tokens: int, seed: int = 7) -> str:
    """Readable-looking prose of about ``tokens`` model tokens, the same for the same seed."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ter", "an", "sol", "ve", "ri", "on", "da", "pe", "us"]
    vocabulary = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
                  for _ in range(3000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf, as words are
    out: list[str] = []
    chars = 0
    paragraph = 0
    while chars < tokens * 4:
        paragraph += 1
        if paragraph % 7 == 0:
            block = "\n".join(f"- {' '.join(rng.choices(vocabulary, weights, k=6))}."
                              for _ in range(4))
        elif paragraph % 13 == 0:
            block = "```python\n" + "\n".join(
                f"    value_{i} = compute({rng.randint(0, 99)})" for i in range(6)) + "\n```"
        else:
            block = " ".join(
                " ".join(rng.choices(vocabulary, weights, k=rng.randint(8, 22))).capitalize()
                + rng.choice([".", ".", ".", "?", "!"]) for _ in range(rng.randint(3, 6)))
        out.append(block)
        chars += len(block) + 2
    return "\n\n".join(out)


def edited(text: str, changes: int, seed: int = 11) -> str:
    """``text`` with ``changes`` words, spread through it, replaced."""
    rng = random.Random(seed)
    words = text.split(" ")
    step = max(1, len(words) // changes)
    for n in range(changes):
        i = min(len(words) - 1, n * step + rng.randrange(step))
        words[i] = "changed" if not words[i].endswith((".", "?", "!")) else "changed."
    return " ".join(words)


def replies(tokens: int):
    from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart

    text = reply_text(tokens)
    reasoning = reply_text(max(50, tokens // 10), seed=3)

    def reply(text: str, reasoning: str, city: str) -> list[Message]:
        return [Message(role="assistant", parts=[
            ReasoningPart(text=reasoning), TextPart(text=text),
            ToolCallPart(name="weather", arguments={"city": city, "days": [1, 2, 3]})])]

    return (reply(text, reasoning, "Paris"),
            reply(edited(text, CHANGES), edited(reasoning, 3, seed=5), "Lyon"))


def run(tokens: int, repeats: int = 3) -> DiffTimes:
    from PySide6.QtWidgets import QApplication

    from composer.models.diff import diff_replies
    from composer.views.reply_diff.window import ReplyDiffWindow

    app = QApplication.instance()
    a, b = replies(tokens)
    best: DiffTimes | None = None
    for _ in range(repeats):
        app.processEvents()
        start = time.perf_counter()
        result = diff_replies(a, b)
        diffed = time.perf_counter()
        window = ReplyDiffWindow(result, "A", "B")
        window.show()
        window.view.viewport().repaint()
        painted = time.perf_counter()
        window.finish()
        window.view.document().size()  # laid out to the end
        done = time.perf_counter()
        assert len(result.changed_sections) == 3 and window.changes >= 3
        times = DiffTimes(len(a[0].parts[1].text), (diffed - start) * 1000,
                          (painted - start) * 1000, (done - start) * 1000)
        window.close()
        window.deleteLater()
        app.processEvents()
        if best is None or times.first_paint_ms < best.first_paint_ms:
            best = times
    assert best is not None
    return best


if __name__ == "__main__":
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    r = run(n)
    print(f"{n:,} tokens ({r.chars:,} chars): diff {r.diff_ms:.1f} ms, diff + first paint "
          f"{r.first_paint_ms:.1f} ms, whole page {r.complete_ms:.1f} ms")
