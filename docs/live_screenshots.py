"""README pictures of a window that has to run to show them: the compare view after three
targets answered, and the token count and cost of a conversation with a cache breakpoint.
Loopback servers replay real recorded replies (../shared/recordings); no key, no network.

    python docs/live_screenshots.py          (docs/make_screenshots.py runs it too)

docs/compare.png: Run ▸ Compare… after three targets (Anthropic, Gemini, OpenAI) answered.
docs/counts.png: input tokens per row and in total, the input cost and the output range, a
cache breakpoint on the system prompt, and the last run's real cost.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs"

COMPARED = [
    ("anthropic", "claude-sonnet-4-20250514",
     "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml", {"temperature": 0.7}),
    ("gemini", "gemini-2.5-pro", "TestGoogleCommon/gemini-2.5-pro/simple_streaming.yaml",
     {"max_tokens": 1024}),
    ("openai", "gpt-4o-mini",
     "TestOpenAIResponsesCommon/openai-gpt-4o-mini/simple_streaming.yaml",
     {"temperature": 0.2, "max_tokens": 400}),
]


def recorded(name: str) -> str:
    from tests import cassettes
    from tests.conftest import RECORDINGS

    return cassettes.load(RECORDINGS / name).interactions[0].response_body


async def settle(seconds: float) -> None:
    for _ in range(int(seconds / 0.03)):
        await asyncio.sleep(0.03)


async def compare_shot(window_class, user_dir: str, servers: list) -> None:
    import httpx

    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from composer.run.targets import Target
    from tests.loopback import LoopbackServer, Reply

    targets = []
    for preset, model, name, options in COMPARED:
        server = LoopbackServer().start()
        servers.append(server)
        server.queue(Reply.sse(recorded(name), delay=0.03))
        targets.append(Target(preset, model, server.url + ("/v1" if preset == "openai" else ""),
                              options))
    conversation = Conversation(
        messages=[Message.text("system", "You are a helpful assistant"),
                  Message.text("user", "Say hi in Portuguese")],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-20250514"))
    client = httpx.AsyncClient()
    window = window_class(Document(conversation), user_dir=user_dir, http_client=client)
    window.show()
    await window.compare_ui.send(targets)
    view = window.compare_ui.view
    view.resize(1280, 560)
    await settle(0.9)
    view.grab().save(str(DOCS / "compare.png"))
    window.autosaver.stop()
    await client.aclose()


async def counts_shot(window_class, user_dir: str, servers: list) -> None:
    import httpx

    from composer.models.caching import with_breakpoint
    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from tests.loopback import LoopbackServer, Reply

    server = LoopbackServer().start()
    servers.append(server)
    manual = ("You answer questions about the Acme 3000 coffee machine. " * 130).strip()
    system = Message.text("system", manual)
    system = system.model_copy(update={"parts": [with_breakpoint(system.parts[0], "5m")]})
    conversation = Conversation(
        messages=[system, Message.text("user", "How do I descale it?"),
                  Message.text("assistant", "Run the descaling cycle from the Care menu."),
                  Message.text("user", "And how often?")],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-5",
                                 base_url=server.url, options={"max_tokens": 1024}))
    server.queue(Reply.json({"input_tokens": 1_874}),
                 Reply.sse(recorded("TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml")),
                 Reply.json({"input_tokens": 1_874}))
    client = httpx.AsyncClient()
    window = window_class(Document(conversation), user_dir=user_dir, http_client=client)
    window.request_panel.provenance.from_file.discard("base_url")  # as if typed by the user
    window.resize(1280, 800)
    window.show()
    window.table.selectRow(0)
    window.token_count.schedule()
    await settle(1.5)
    task = window.run_ui.send()
    if task is None:
        raise SystemExit(f"the send was not made: {window.status_state.text()}")
    await task
    await settle(1.5)
    window.table.selectRow(0)
    await settle(0.3)
    window.grab().save(str(DOCS / "counts.png"))
    window.autosaver.stop()
    await client.aclose()


def main() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    os.environ.update(ANTHROPIC_API_KEY="sk-ant-docs", GEMINI_API_KEY="docs",
                      OPENAI_API_KEY="sk-docs")
    user_dir = tempfile.mkdtemp()
    os.environ["COMPOSER_USER_DIR"] = user_dir
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from composer.views.window import MainWindow

    servers: list = []
    try:
        with loop:
            loop.run_until_complete(compare_shot(MainWindow, user_dir, servers))
            loop.run_until_complete(counts_shot(MainWindow, user_dir, servers))
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
