"""Editing a big conversation: the window's loop while what an edit sets off runs (the
variables found again, the token count, the request preview, the draft), on the qasync loop
as in the app. The longest stall, by a 5 ms timer's lateness, from each edit until its work is
done; the file is ``big_file``'s, opened and settled first. Then a Send of it, to a loopback
server's short reply: the longest stall until the reply is in the pane."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AFTER_EDIT_S = 2.5  # the count's 600 ms debounce, its work, the variables' 300 ms settle


@dataclass
class EditFigures:
    max_ms: float  # the longest stall after any of the edits
    p99_ms: float
    send_ms: float  # the longest stall from Send until the reply is in the pane (a short one)


def measure(path: Path, messages: int, edits: int) -> EditFigures:
    from PySide6.QtWidgets import QApplication

    from benchmarks.stall import StallMeter
    from benchmarks.window_stream import reply_text, sse_body
    from composer.models.parts import Message
    from composer.views.app import create_app, make_loop
    from composer.views.window import MainWindow
    from tests.loopback import LoopbackServer, Reply

    app = QApplication.instance() or create_app([])
    meter = StallMeter()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(user_dir=Path(tmp) / "user")
        window.resize(1280, 800)
        window.show()

        async def main() -> None:
            from composer.providers.http import new_client
            from composer.views.app import load_network

            load_network()  # as the app has it once its window is up, with its shared client
            window.http_client = new_client()
            assert window.open_path(path) and len(window.document) == messages
            await asyncio.sleep(6)  # what the open set off is done
            gc.collect()
            meter.start()
            for n in range(edits):
                window.editor.replace_message(
                    5 + n, Message.text("user", f"Edited {n}: hello {{{{name}}}}"))
                await asyncio.sleep(AFTER_EDIT_S)
            meter.stop()
            # Send to a loopback server's short reply: the snapshot, the checks, the request
            # body, the exchange at the end.
            settings = window.document.conversation.settings.model_copy(update={
                "provider": "ollama", "model": "m", "base_url": server.url + "/v1"})
            window.document.set_settings(settings)
            window.document.set_variables({"name": "Ada"})
            await asyncio.sleep(AFTER_EDIT_S)
            sent.start()
            task = window.run_ui.send()
            assert task is not None
            await task
            while not window.run_ui.pane.caught_up:
                await asyncio.sleep(0.001)
            sent.stop()
            await window.http_client.aclose()

        server = LoopbackServer().start()
        server.queue(Reply.sse(sse_body(reply_text(200))))
        sent = StallMeter()

        with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:
            runner.run(main())
        server.stop()
        window.autosaver.stop()
        window.undo_stack.setClean()
        window.close()
    return EditFigures(meter.max_ms, meter.p99_ms, sent.max_ms)


def run(messages: int, edits: int = 3) -> EditFigures:
    """``measure`` in a fresh interpreter, on a file written here."""
    from benchmarks.big_file import in_fresh_interpreter

    return EditFigures(**in_fresh_interpreter("benchmarks.big_edit", messages, str(edits)))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    figures = measure(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(figures.__dict__))
