"""The window's first paint loads only what it needs."""

import json
import os
import subprocess
import sys

import pytest

# A fresh interpreter's window, built as the tests below then look at it.
WINDOW = (
    "import sys, tempfile\n"
    "from PySide6.QtWidgets import QApplication\n"
    "app = QApplication([])\n"
    "from composer.views.window import MainWindow\n"
    "window = MainWindow(user_dir=tempfile.mkdtemp())\n"
)


def _printed(code: str) -> list[str]:
    """The lines a fresh interpreter printed running ``code`` offscreen."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return lines


# What the first paint does not need, and what the window loads on first use instead.
HEAVY = ("httpx", "composer.providers.transport", "genai_prices", "jsonschema", "markdown_it",
         "keyring")
LATER = ("composer.views.compare.window", "composer.views.compare.targets_dialog",
         "composer.views.reply_diff", "composer.views.branches.panel", "composer.views.picker",
         "composer.views.settings_dialog", "composer.views.shortcuts_dialog",
         "composer.views.opening")


@pytest.fixture(scope="module")
def first_window() -> list[str]:
    """One fresh interpreter's window, for both tests below (a start costs a second of CPU):
    what is loaded once it is built, once it is shown, and after the parts opened on demand."""
    return _printed(WINDOW + (
        "window.autosaver.stop()\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
        "window.show()\n"
        "app.processEvents()\n"
        f"print([m for m in {LATER!r} if m in sys.modules])\n"
        "window.compare_ui.view, window.branches.panel, window.show_settings().close()\n"
        "window.show_shortcuts().close()\n"
        f"print([m for m in {LATER!r} if m in sys.modules])\n"
    ))


def test_the_window_is_built_without_the_network_stack_or_the_heavy_libraries(first_window):
    """What the first paint does not need loads on first use: httpx with the first call, the
    price table with the first count, jsonschema with the first schema or test run."""
    assert first_window[-3] == "[]"


def test_dialogs_and_views_the_first_paint_does_not_show_load_when_first_opened(first_window):
    """The compare view, the reply diff, the branches panel and the dialogs (open a file's
    choice, settings, shortcuts) and the readers of foreign formats load with their first use."""
    assert first_window[-2] == "[]"
    assert first_window[-1] == ("['composer.views.compare.window', "
                                "'composer.views.branches.panel', "
                                "'composer.views.settings_dialog', "
                                "'composer.views.shortcuts_dialog']")


def test_the_first_paint_comes_before_asyncio_qtnetwork_and_any_validator(tmp_path):
    """The real start (no file: the example): at its first paint asyncio, qasync, QtNetwork,
    pydantic (the validators: the example is built unchecked) and what only a send, a file or
    Compare needs are not loaded, and imports are Python's own again (not PySide6's hook);
    then the loop starts, the single-instance listener listens and the window works as
    before."""
    code = (
        "import builtins, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from composer.views import app, single_instance\n"
        "LATER = ('asyncio', 'qasync', 'PySide6.QtNetwork', 'importlib.metadata', 'pydantic',\n"
        "         'pydantic_core')\n"
        "UNUSED = ('composer.run.targets', 'composer.cli.desktop', 'composer.models.exchange',\n"
        "          'composer.models.assembler', 'composer.models.formats',\n"
        "          'composer.models.structured', 'composer.providers.base',\n"
        "          'composer.providers.llm_plugin', 'composer.models.events',\n"
        "          'composer.views.results.blocks', 'composer.views.results.dispatch')\n"
        "PROBE = ('import sys\\n'\n"
        "         'from PySide6.QtCore import QCoreApplication\\n'\n"
        "         'from PySide6.QtNetwork import QLocalSocket\\n'\n"
        "         'app = QCoreApplication([])\\n'\n"
        "         'socket = QLocalSocket()\\n'\n"
        "         'socket.connectToServer(sys.argv[1])\\n'\n"
        "         'print(socket.waitForConnected(2000))\\n'\n"
        "         'socket.disconnectFromServer()\\n')\n"
        "def report(window):\n"
        "    print([m for m in LATER if m in sys.modules], len(window.document),\n"
        "          builtins.__import__.__name__, flush=True)\n"
        "    from PySide6 import QtWidgets\n"
        "    print([m for m in UNUSED if m in sys.modules], 'QWizard' in vars(QtWidgets))\n"
        "def close_when_up(window, waited=[0]):\n"
        "    from composer.models.value import _adapter\n"
        "    waited[0] += 1\n"
        "    if window.http_client is None or (_adapter.cache_info().currsize < 3\n"
        "                                      and waited[0] < 500):\n"
        "        return QTimer.singleShot(20, lambda: close_when_up(window))\n"
        "    import asyncio\n"
        "    asyncio.get_running_loop()  # the window runs on the loop now\n"
        "    import subprocess  # another instance, as one would hand its files over now\n"
        "    probe = subprocess.run([sys.executable, '-c', PROBE, single_instance.server_name()],\n"
        "                           capture_output=True, text=True)\n"
        "    print([m for m in LATER[:3] if m in sys.modules], probe.stdout.strip(),\n"
        "          _adapter.cache_info().currsize, flush=True)\n"
        "    # At once: a connection that ends (a second instance's start probes so) and a\n"
        "    # close straight after segfaulted when the socket was deleted on disconnected;\n"
        "    # and, once the warm-up was over, corrupted the heap when the listener closed\n"
        "    # before the connection's end was read (single_instance.Listener.close).\n"
        "    window.close()\n"
        "wait = app.wait_for_first_paint\n"
        "def watched(window, limit=1.0):\n"
        "    wait(window, limit=60)\n"
        "    report(window)\n"
        "    QTimer.singleShot(0, lambda: close_when_up(window))\n"
        "app.wait_for_first_paint = watched\n"
        "from composer.main import main\n"
        "sys.exit(main(['open']))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMPOSER_USER_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    painted, unloaded, running = result.stdout.strip().splitlines()[-3:]
    assert painted == "[] 2 __import__"
    # Nor what only Compare or a send needs; and the table's viewport is one Python made: Qt's
    # own, handed to Python, makes shiboken create every class of QtWidgets (~15 ms).
    assert unloaded == "[] False"
    # And the warm-up after the paint has built the validators an Open, a Paste or an import
    # checks with (Message, Conversation, Exchange: views/stepwise.py), on a worker.
    assert running == "['asyncio', 'qasync', 'PySide6.QtNetwork'] True 3"


def test_a_start_on_a_file_whose_provider_needs_a_key_asks_the_keychain_after_the_paint(
        tmp_path):
    """The keychain may answer over D-Bus or ask to be unlocked, and keyring finds its backend
    on first use (~100 ms): the real start, on a file for Anthropic, paints first and asks on
    a worker afterwards; the key note then says the key is missing. Our own file opens without
    the other formats' readers (~20 ms)."""
    from composer.models.conversation import Conversation
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings

    path = tmp_path / "keyed.json"
    path.write_text(json.dumps(Conversation(
        messages=[Message.text("user", "Hi")],
        settings=RequestSettings(provider="anthropic", model="m")).to_dict()),
        encoding="utf-8")
    code = (
        "import os, sys, threading\n"
        "from PySide6.QtCore import QTimer\n"
        "from composer.providers import keys\n"
        "from composer.views import app\n"
        "asked = []\n"
        "def lookup(user, lookup=keys._keychain_lookup):\n"
        "    asked.append((user, threading.current_thread() is threading.main_thread()))\n"
        "    return lookup(user)\n"
        "keys._keychain_lookup = lookup\n"
        "def after_paint(window, limit=1.0, wait=app.wait_for_first_paint):\n"
        "    wait(window, limit=3600)\n"
        "    print(list(asked), 'keyring' in sys.modules,\n"
        "          'composer.models.formats._choices' in sys.modules, flush=True)\n"
        "    def done():\n"
        "        note = window.request_panel.key_note\n"
        "        if not note.isVisibleTo(window):\n"
        "            return QTimer.singleShot(20, done)\n"
        "        print(asked, 'ANTHROPIC_API_KEY' in note.text(), flush=True)\n"
        "        os._exit(0)\n"
        "    QTimer.singleShot(0, done)\n"
        "app.wait_for_first_paint = after_paint\n"
        "from composer.main import main\n"
        f"main(['open', {str(path)!r}])\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMPOSER_USER_DIR": str(tmp_path / "u"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop("ANTHROPIC_API_KEY", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.stdout.strip().splitlines() == [
        "[] False False", "[('anthropic', False)] True"], result.stderr


def test_a_start_on_a_file_writes_the_draft_state_and_recent_list_after_the_paint(tmp_path):
    """Each of those writes is fsync'd (slow on an HDD or a network home): none comes before
    the paint, and then the state names the file opened and the recent list leads with it."""
    from composer.models.conversation import Conversation
    from composer.models.parts import Message

    last, opened = tmp_path / "last.json", tmp_path / "opened.json"
    for path in (last, opened):
        path.write_text(json.dumps(Conversation(messages=[Message.text("user", path.stem)])
                                   .to_dict()), encoding="utf-8")
    user = tmp_path / "u"
    user.mkdir()
    (user / "draft-state.json").write_text(json.dumps({"path": str(last)}), encoding="utf-8")
    (user / "recent.json").write_text(json.dumps([str(last)]), encoding="utf-8")
    code = (
        "import json, os, threading\n"
        "from PySide6.QtCore import QTimer\n"
        "from composer.views import app\n"
        "synced = []\n"
        "def fsync(fd, fsync=os.fsync):\n"
        "    synced.append(threading.current_thread().name)\n"
        "    fsync(fd)\n"
        "os.fsync = fsync\n"
        f"user = {str(user)!r}\n"
        "def read(name):\n"
        "    with open(os.path.join(user, name), encoding='utf-8') as fh:\n"
        "        return json.load(fh)\n"
        "def after_paint(window, limit=1.0, wait=app.wait_for_first_paint):\n"
        "    wait(window, limit=3600)\n"
        "    print(len(synced), flush=True)\n"
        "    def done(tries=[0]):\n"
        "        tries[0] += 1  # both written: one fsync is not one file (its folder's too)\n"
        "        written = (read('recent.json')[0], read('draft-state.json')['path'])\n"
        f"        if tries[0] < 500 and written != ({str(opened)!r},) * 2:\n"
        "            return QTimer.singleShot(20, done)\n"
        "        print(sorted(set(synced)), read('draft-state.json')['path'] ==\n"
        f"              {str(opened)!r}, read('recent.json'), flush=True)\n"
        "        os._exit(0)\n"
        "    QTimer.singleShot(0, done)\n"
        "app.wait_for_first_paint = after_paint\n"
        "from composer.main import main\n"
        f"main(['open', {str(opened)!r}])\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMPOSER_USER_DIR": str(user)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.stdout.strip().splitlines() == [
        "0", f"['composer-files'] True {[str(opened), str(last)]!r}"], result.stderr


def test_a_count_due_before_the_loop_runs_waits_without_importing_asyncio():
    """On a start slow enough that the count's timer runs out before the first paint, the
    count waits for the loop (the timer runs again) and does not import asyncio for it."""
    lines = _printed(
        "from composer.views import token_count\n"
        "token_count.DEBOUNCE_MS = 1\n" + WINDOW +
        "import time\n"
        "window.autosaver.stop()\n"
        "window.show()\n"
        "for _ in range(5):\n"
        "    time.sleep(0.01)\n"
        "    app.processEvents()\n"
        "print('asyncio' in sys.modules, window.token_count.timer.isActive(),\n"
        "      window.token_count.task)\n"
    )
    assert lines[-1] == "False True None"


def test_the_first_request_imports_nothing_the_start_did_not_load_on_its_worker():
    """What a first request would import (anyio's backend for the connection pool's locks)
    is loaded by load_network, on a worker after the first paint, not at the first Send."""
    lines = _printed(
        "import asyncio, sys\n"
        "from composer.views.app import load_network\n"
        "from composer.providers.http import new_client\n"
        "from tests.loopback import LoopbackServer, Reply\n"
        "load_network()\n"
        "server = LoopbackServer().start()\n"
        "server.queue(Reply.sse('data: {}\\n\\n'))\n"
        "async def first():\n"
        "    async with new_client() as client:\n"
        "        before = set(sys.modules)\n"
        "        await client.get(server.url + '/v1/models')\n"
        "        print(sorted(set(sys.modules) - before))\n"
        "asyncio.run(first())\n"
        "server.stop()\n"
    )
    assert lines[-1] == "[]"


def test_after_the_stepwise_imports_the_first_count_imports_nothing_of_composers():
    """Once the window is painted the app imports what the first count and Send need a module
    per turn of the loop (views/stepwise.py); the first count then imports nothing more of
    Composer's on the window's thread, in one turn."""
    lines = _printed(WINDOW + (
        "import asyncio\n"
        "from composer.views.app import load_network\n"
        "from composer.views.stepwise import import_stepwise\n"
        "window.autosaver.stop()\n"
        "load_network()\n"
        "asyncio.run(import_stepwise())\n"
        "before = set(sys.modules)\n"
        "from composer.run.counting import count_tokens\n"
        "from composer.providers.http import new_client\n"
        "from composer.views.results import markdown\n"
        "from composer.models import pricing\n"
        "count = asyncio.run(count_tokens(window.document.conversation.snapshot()))\n"
        "print(count.total > 0, sorted(m for m in set(sys.modules) - before\n"
        "                              if m.startswith('composer')))\n"
    ))
    assert lines[-1] == "True []"


def test_a_first_send_checks_nothing_on_the_windows_thread():
    """A reply is built from its parser's events, whose types the parser checked: a first
    Send's end builds no validator on the window's thread (a first one costs ~0.1 s there:
    pydantic's import, its schema, its plugin scan), even before the warm-up has built any."""
    lines = _printed(
        "import threading\n"
        "from composer.models import value\n"
        "adapter, built, sending = value._adapter, [], []\n"
        "def counted(cls):\n"
        "    if sending and threading.current_thread() is threading.main_thread():\n"
        "        built.append(cls.__name__)\n"
        "    return adapter(cls)\n"
        "value._adapter = counted\n" + WINDOW +
        "import asyncio\n"
        "from benchmarks.window_stream import sse_body\n"
        "from composer.providers.http import new_client\n"
        "from composer.views import stepwise\n"
        "from composer.views.app import load_network, make_loop\n"
        "from tests.loopback import LoopbackServer, Reply\n"
        "server = LoopbackServer().start()\n"
        "server.queue(Reply.sse(sse_body(['Hello ', 'there.'])))\n"
        "window.autosaver.stop()\n"
        "window.show()\n"
        "async def main():\n"
        "    load_network()\n"
        "    window.http_client = new_client()\n"
        "    await stepwise.import_stepwise()\n"
        "    settings = window.document.conversation.settings.model_copy(update={\n"
        "        'provider': 'ollama', 'model': 'm', 'base_url': server.url + '/v1'})\n"
        "    window.document.set_settings(settings)\n"
        "    sending.append(True)\n"
        "    await window.run_ui.send()\n"
        "    while not window.run_ui.pane.caught_up:\n"
        "        await asyncio.sleep(0.001)\n"
        "    await window.http_client.aclose()\n"
        "    print(len(server.received), window.document.messages[-1].plain_text, built)\n"
        "with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:\n"
        "    runner.run(main())\n"
        "server.stop()\n"
        "window.undo_stack.setClean()\n"
    )
    assert lines[-1] == "1 Hello there. []"
