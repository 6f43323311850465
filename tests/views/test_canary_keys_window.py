"""Canary keys through the window, for every keyed provider: the inspector's text and Copy as
curl (and the clipboard), a Send answered by a 401 that echoes the key, the model list, a 307
to a second loopback server, Save, Save Exchange, every Export and the autosaved draft; then
every text any widget of the window shows, and every file under the test's directories."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QTextEdit

from composer.models.conversation import Conversation
from composer.models.formats import exporters
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.http import new_client
from composer.run import RunState
from tests.canary import KEYED, TOTALS, Checker, plant
from tests.loopback import LoopbackServer, Reply


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(f"\ncanary keys: {TOTALS['places']} places checked, {TOTALS['hits']} hits")


def _echo_401(key: str) -> Reply:
    return Reply.json({"error": {"message": f"Incorrect API key provided: {key}",
                                 "type": "invalid_request_error", "code": 401}}, status=401)


def _shown_texts(checker: Checker, window) -> None:
    """Every text a widget of the window holds (labels, fields, editors, buttons)."""
    for kind, read in ((QLabel, QLabel.text), (QLineEdit, QLineEdit.text),
                       (QPlainTextEdit, QPlainTextEdit.toPlainText),
                       (QTextEdit, QTextEdit.toPlainText), (QAbstractButton, QAbstractButton.text)):
        for widget in window.findChildren(kind):
            checker.text(f"{kind.__name__} {widget.objectName() or type(widget).__name__}",
                         read(widget) + widget.toolTip())
    checker.text("status bar", window.statusBar().currentMessage())
    checker.text("window title", window.windowTitle())


@pytest.mark.parametrize("preset", [p.name for p in KEYED])
def test_no_key_in_the_windows_text_files_clipboard_or_a_redirect(
        qtbot, qloop, run_window, loopback, tmp_path, monkeypatch, preset):
    keys = plant(monkeypatch, tmp_path / "llm", "env")
    key = keys[preset]
    checker = Checker(list(keys.values()))
    elsewhere = LoopbackServer().start()
    try:
        window = run_window(Conversation(
            messages=[Message.text("user", "hi")],
            settings=RequestSettings(provider=preset, model="m", options={"max_tokens": 9})),
            http_client=new_client(follow_redirects=True))
        run, panel = window.run_ui, window.request_panel
        panel.base_url_edit.setText(loopback.url + "/v1")  # typed: the user's own server
        panel.base_url_edit.editingFinished.emit()
        qtbot.waitUntil(lambda: panel.refresh_button.isEnabled(), timeout=5000)

        run.inspector.refresh()  # on a worker while the keychain's answer is not in yet
        qtbot.waitUntil(lambda: run.inspector.request is not None, timeout=5000)
        assert key in str(run.inspector.request.headers)  # the preview really holds the key
        checker.text("inspector text", run.inspector.text.toPlainText())
        checker.text("copy as curl", run.inspector.copy_curl())
        checker.text("clipboard", QGuiApplication.clipboard().text())

        loopback.queue(_echo_401(key))
        run.send_action.trigger()
        qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
        assert any(key in str(r.headers) for r in loopback.received)  # the key was sent
        checker.text("inspector after Send", run.inspector.text.toPlainText())
        checker.text("event log", run.event_log.text.toPlainText())

        loopback.queue(_echo_401(key))
        with qtbot.waitSignal(panel.models_loaded, timeout=5000):
            panel.refresh_models()
        checker.text("model list note", panel.model_note.text())

        assert run.save_exchange_to(tmp_path / "exchange.json")
        assert window.save_to(tmp_path / "conversation.json")
        for fmt in exporters():
            assert window.export_to(tmp_path / f"export-{fmt.name}.txt", fmt.name)
        window.editor.set_text(0, "edited, so the draft is written")
        window.autosaver.flush()
        window.autosaver.wait()
        _shown_texts(checker, window)

        loopback.queue(Reply(status=307, headers={"Location": f"{elsewhere.url}/v1/steal"}))
        run.send_action.trigger()
        qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
        assert "key was not sent" in run.current.composer.error.message
        assert elsewhere.received == []
        _shown_texts(checker, window)
    finally:
        elsewhere.stop()
    assert checker.tree("tmp", tmp_path) >= 3 + len(exporters())
    checker.assert_clean()
