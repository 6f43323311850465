"""Regenerate docs/test-run.png: the test-run workspace with a finished run and a baseline.

    python docs/make_testrun_screenshot.py [OUT.png]

Offline: a server on 127.0.0.1 plays three models (its answers depend on the model asked and a
seeded coin), the core's Runner sends two runs of a 3 targets × 6 cases × 3 repeats suite into
a temporary folder, then the window opens the second with the first as its baseline.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENAI_API_KEY", "sk-screenshot")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Canada": "Ottawa", "Australia": "Canberra",
            "Brazil": "Brasília", "Nigeria": "Abuja"}
WRONG = {"Canada": "Toronto", "Australia": "Sydney", "Brazil": "Rio de Janeiro",
         "Nigeria": "Lagos"}
# model -> (chance of a wrong answer on a tricky country, reply latency in seconds)
MODELS = {"gpt-4o": (0.0, 0.02), "gpt-4o-mini": (0.35, 0.01), "llama3.2": (0.7, 0.05)}


def _handler(seed: int, worse: float):
    coin = random.Random(seed)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model = body["model"]
            text = body["messages"][-1]["content"]
            country = next(c for c in CAPITALS if c in text)
            miss, delay = MODELS[model]
            miss = min(1.0, miss * worse)
            with lock:
                wrong = country in WRONG and coin.random() < miss
            city = WRONG[country] if wrong else CAPITALS[country]
            answer = f"The capital of {country} is {city}."
            if model == "llama3.2":
                answer = f"Sure! {answer} Let me know if you need anything else."
            time.sleep(delay)
            chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant",
                                                          "content": answer}}]},
                      {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                      {"choices": [], "usage": {"prompt_tokens": 24,
                                                "completion_tokens": len(answer) // 4}}]
            data = "".join(f"data: {json.dumps({'id': 'x', 'model': model, **c})}\n\n"
                           for c in chunks) + "data: [DONE]\n\n"
            raw = data.encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(raw), raw))

    return Handler


def run_suite(folder: Path, seed: int, worse: float = 1.0) -> None:
    from composer.run.prepare import prepare_call
    from composer.run.testrun.runner import Runner

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seed, worse))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    draft = draft_for(url)
    runner = Runner(draft.build(), folder, lambda conv, client: prepare_call(
        conv, client=client, chosen=True).call)
    asyncio.run(runner.run())
    server.shutdown()


def draft_for(url: str):
    from composer.models.conversation import Conversation
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from composer.run.testrun.draft import SuiteDraft

    conversation = Conversation(
        messages=[Message.text("system", "Answer in one sentence."),
                  Message.text("user", "What is the capital of {{country}}?")],
        settings=RequestSettings(provider="openai-chat", model="gpt-4o"))
    draft = SuiteDraft.from_conversation(conversation, name="capitals")
    draft.rows = [{"country": c, "expected": city} for c, city in CAPITALS.items()]
    draft.targets_text = "\n".join(f"openai-chat:{m},base_url={url}" for m in MODELS)
    draft.checks_text = json.dumps([
        {"kind": "contains", "value": "{{expected}}"},
        {"kind": "not-contains", "value": "Let me know", "label": "no filler"},
        {"kind": "latency", "under_ms": 5000}], indent=2)
    draft.repeats = 3
    return draft


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "test-run.png"
    from PySide6.QtWidgets import QApplication  # before qasync: it binds to the first Qt

    # isort: split
    import qasync

    from composer.models.conversation import Conversation
    from composer.providers.trust import TrustedHosts
    from composer.views.testrun.workspace import TestRunWindow

    with tempfile.TemporaryDirectory() as tmp:
        base, now = Path(tmp) / "runs" / "capitals-monday", Path(tmp) / "runs" / "capitals-today"
        run_suite(base, seed=1, worse=1.6)  # last week's prompt: more wrong capitals
        run_suite(now, seed=7)
        app = QApplication.instance() or QApplication([])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        window = TestRunWindow(Conversation(), key_trust=TrustedHosts.load(Path(tmp)),
                               base_dir=Path(tmp))
        window.resize(1440, 820)
        window.show()

        async def shoot() -> None:
            await window.open_run(now)
            await window.set_baseline(base)
            window.editor.tabs.setCurrentIndex(2)
            index = window.model.index(3, 2)
            window.view.setCurrentIndex(index)
            await asyncio.sleep(0.3)
            app.processEvents()
            window.grab().save(str(out))

        loop.run_until_complete(shoot())
        window.close()
    print(out)


if __name__ == "__main__":
    main()
