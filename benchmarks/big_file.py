"""Open, memory and save of a big conversation file (10,000 messages, about 20 MB).

The file is generated here: long texts of mixed lengths (Markdown, code, plain prose, some
typographic quotes and dashes, now and then an emoji), tool calls and their results, and a few
attachments as base64 (five of 500 KB); its settings name a real provider, so the window builds
the request preview as it would. A fresh interpreter shows an empty
window, then opens the file through the window's real path (read and parsed on a worker thread,
as the Open dialog does), waits until the table shows it, and saves it. Resident memory is
measured over the empty window, after the open has settled.

    python -m benchmarks.big_file MESSAGES     one measurement, printed as JSON
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = ("the model answers each question with a short plan and then the details of every step "
         "it takes while the tool returns rows of data that the reply quotes in full").split()
CODE = "def handler(event):\n    value = event.get('value', 0)\n    return value * 2\n"


@dataclass
class Figures:
    file_mb: float
    open_s: float  # from asking to open until the table shows every row
    open_stall_ms: float  # the longest stall of the window's loop meanwhile
    save_s: float  # from Save until the file is written and the window says so
    save_stall_ms: float  # the longest stall of the window's loop meanwhile
    rss_over_empty_mb: float  # resident memory after the open, over the empty window's
    peak_over_empty_mb: float  # the process's peak resident memory, over the empty window's

    @property
    def memory_ratio(self) -> float:
        return self.rss_over_empty_mb / self.file_mb


def _text(rng: random.Random, size: int) -> str:
    out, n = [], 0
    while n < size:
        if rng.random() < 0.1:
            piece = f"\n```python\n{CODE}```\n"
        elif rng.random() < 0.1:
            piece = f"\n- {' '.join(rng.choices(WORDS, k=8))}\n"
        else:
            piece = " ".join(rng.choices(WORDS, k=rng.randint(8, 30))) + ". "
            # Replies quote and dash (text beyond Latin-1: Python holds it at 2 bytes a
            # character) and now and then smile (beyond the BMP: 4 bytes a character).
            if rng.random() < 0.05:
                piece += rng.choice(("It’s done — see above. ", "Naïve café. ", "“Quoted”. "))
            if rng.random() < 0.005:
                piece += "Done 🙂 "
        out.append(piece)
        n += len(piece)
    return "".join(out)


def write_file(path: Path, messages: int, seed: int = 1) -> int:
    """Write the conversation to ``path``; returns its size in bytes (~2 KB a message)."""
    from composer.models import files as model_files
    from composer.models.attachment import Attachment
    from composer.models.conversation import Conversation
    from composer.models.parts import (
        AttachmentPart,
        Message,
        TextPart,
        ToolCallPart,
        ToolResultPart,
    )
    from composer.models.settings import RequestSettings

    rng = random.Random(seed)
    # A few attachments: 1 in 2,000 messages carries ~500 KB of image bytes (as base64).
    picture = b"\x89PNG\r\n\x1a\n" + rng.randbytes(500_000)
    out = []
    for i in range(messages):
        if i % 2000 == 3:
            out.append(Message(role="user", parts=[
                TextPart(text="What is in this picture?"),
                AttachmentPart(attachment=Attachment.from_bytes(picture, name=f"p{i}.png"))]))
        elif i % 10 == 5:
            out.append(Message(role="assistant", parts=[
                TextPart(text=_text(rng, 200)),
                ToolCallPart(name="lookup", arguments={"query": f"row {i}", "limit": 20},
                             tool_call_id=f"call_{i}")]))
        elif i % 10 == 6:
            out.append(Message(role="tool", parts=[ToolResultPart(
                name="lookup", tool_call_id=f"call_{i - 1}",
                output=json.dumps([{"id": n, "text": _text(rng, 60)} for n in range(10)]))]))
        else:
            size = rng.choice((300, 600, 1200, 2400, 4000))
            out.append(Message.text("user" if i % 2 else "assistant", _text(rng, size)))
    settings = RequestSettings(provider="openai-chat", model="gpt-4o")  # a real request to show
    return model_files.save(Conversation(messages=out, settings=settings), path)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``). Not ``ru_maxrss``:
    Linux keeps that across exec, so a child of the benchmark runner reported the runner's
    own size by then (~650 MB against ~110 alone)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3  # kB
    return 0.0


# After the open, what it sets off has run: the request preview (300 ms debounce), the token
# count (600 ms) and the first autosave of the draft (3 s, then serialising 20 MB).
SETTLE_S = 6.0


def _settle(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def measure(path: Path, messages: int) -> Figures:
    """In this interpreter: open ``path`` (``messages`` long) in a fresh window, save it."""
    import gc

    from PySide6.QtWidgets import QApplication

    from benchmarks.stall import StallMeter
    from composer.views.app import create_app
    from composer.views.window import MainWindow

    app = QApplication.instance() or create_app([])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(user_dir=Path(tmp) / "user")
        window.resize(1280, 800)
        window.show()
        from composer.views import stepwise
        from composer.views.results import markdown

        # As the app's warm-up does after its first paint: markdown-it's import, and pydantic's
        # with the validators an Open checks a file with.
        markdown.warm_up()
        stepwise.build_validators()
        _settle(app, SETTLE_S)
        window.grab()
        gc.collect()
        empty, empty_peak = _rss_mb(), _peak_mb()
        opening = StallMeter()
        opening.start()
        start = time.perf_counter()
        window.open_path_later(path)
        while len(window.document) != messages:
            app.processEvents()
            time.sleep(0.001)
        window.grab()  # the table shown with the new rows
        opened = time.perf_counter() - start
        opening.stop()
        _settle(app, SETTLE_S)  # what runs after an open runs: the preview, the count
        gc.collect()
        rss, open_peak = _rss_mb(), _peak_mb()
        meter, written = StallMeter(), []
        window.file_saved.connect(written.append)
        meter.start()
        start = time.perf_counter()
        window.save_later(Path(tmp) / "saved.json")
        while not written:
            app.processEvents()
            time.sleep(0.001)
        saved = time.perf_counter() - start
        meter.stop()
        peak = _peak_mb()
        window.undo_stack.setClean()
        window.close()
    size = path.stat().st_size / 1e6
    print(f"peak before the open {empty_peak:.0f} MB, empty window {empty:.0f} MB, after the "
          f"open {open_peak:.0f} MB, after the save {peak:.0f} MB", file=sys.stderr)
    return Figures(size, opened, opening.max_ms, saved, meter.max_ms, rss - empty,
                   max(peak, empty_peak) - empty)


def run(messages: int) -> Figures:
    """``measure`` in a fresh interpreter (the memory figures of this one would include
    everything else)."""
    return Figures(**in_fresh_interpreter("benchmarks.big_file", messages))


def in_fresh_interpreter(module: str, messages: int, *args: str) -> dict:
    """Write a ``messages``-long file here, then run ``python -m module FILE MESSAGES ARGS…``
    on it: the JSON object its last line prints."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        write_file(path, messages)
        done = subprocess.run([sys.executable, "-m", module, str(path), str(messages), *args],
                              env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) == 2:  # python -m benchmarks.big_file MESSAGES: the whole run, printed
        print(json.dumps(run(int(sys.argv[1])).__dict__))
    else:
        print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2])).__dict__))
