"""In the window, a file's base URL gets the user's key only after the user says so: the note
under Base URL, the question on Send (Cancel, Send, remember), a typed base URL, keyless calls,
the model list, and a key in the base URL's query string."""

from __future__ import annotations

import hashlib
import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.http import new_client
from composer.providers.trust import FILE_NAME
from composer.run import RunState
from composer.views.dialogs import open_boxes
from tests.loopback import Reply
from tests.views.checks import wait_checked

KEY = "sk-window-canary-5c5c"
CHAT_REPLY = ('data: {"choices": [{"index": 0, "delta": {"content": "hello"}}]}\n\n'
              'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
              "data: [DONE]\n\n")


def _shared_file(tmp_path, base_url: str, **settings):
    path = tmp_path / "from-a-colleague.json"
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="openai-chat", model="m",
                                               base_url=base_url, **settings)), path)
    return path


def _typed_over_a_files(qtbot, window, tmp_path, url: str):
    """Open a colleague's file, then type ``url`` over its base URL; the request panel."""
    window.open_path(_shared_file(tmp_path, "http://elsewhere.invalid/v1"))
    panel = window.request_panel
    panel.base_url_edit.clear()
    qtbot.keyClicks(panel.base_url_edit, url)
    qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
    return panel


def _key_box(window) -> QMessageBox:
    boxes = [b for b in open_boxes(window) if b.checkBox() is not None]
    assert len(boxes) == 1
    return boxes[0]


def _keys_sent(loopback) -> list[str]:
    return [v for r in loopback.received for k, v in r.headers.items()
            if k.lower() == "authorization"]


def test_a_files_base_url_is_marked_and_send_asks_before_spending_the_key(
        qtbot, run_window, loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    window = run_window()
    assert window.open_path(_shared_file(tmp_path, loopback.url + "/v1",
                                         headers={"X-From": "file"}))
    note = window.request_panel.file_note
    assert note.isVisibleTo(window)
    assert "From the file" in note.text() and "base URL" in note.text() \
        and "extra headers" in note.text()
    run = window.run_ui

    run.send()
    wait_checked(qtbot, run)
    assert run.task is None
    box = _key_box(window)
    assert loopback.url in box.text() and "OpenAI (Chat Completions)" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.REFUSED, timeout=3000)
    assert loopback.received == []
    assert "not sending your OpenAI (Chat Completions) API key" in window.status_state.text()

    loopback.queue(Reply.sse(CHAT_REPLY))
    run.send_action.trigger()
    wait_checked(qtbot, run)
    box = _key_box(window)
    box.checkBox().setChecked(True)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert _keys_sent(loopback) == [f"Bearer {KEY}"]
    remembered = json.loads((window.user_dir / FILE_NAME).read_text())
    assert remembered["hosts"] == {"openai": [loopback.url]}

    # Remembered: a new window on the same user directory sends without asking.
    loopback.queue(Reply.sse(CHAT_REPLY))
    again = run_window(user_dir=window.user_dir)
    assert again.open_path(tmp_path / "from-a-colleague.json")
    again.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: again.run_ui.state == RunState.DONE, timeout=5000)
    assert not [b for b in open_boxes(again) if b.checkBox() is not None]
    assert len(_keys_sent(loopback)) == 2


def test_confirming_without_remember_lasts_for_this_window_only(
        qtbot, run_window, loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    loopback.queue(Reply.sse(CHAT_REPLY), Reply.sse(CHAT_REPLY))
    window = run_window()
    window.open_path(_shared_file(tmp_path, loopback.url + "/v1"))
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    qtbot.mouseClick(_key_box(window).button(QMessageBox.StandardButton.Yes),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    run.send_action.trigger()  # asked once per session
    qtbot.waitUntil(lambda: run.state == RunState.DONE and len(loopback.received) == 2,
                    timeout=5000)
    assert not (window.user_dir / FILE_NAME).exists()


def test_a_base_url_typed_in_the_window_is_the_users_choice(
        qtbot, run_window, loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window()
    panel = _typed_over_a_files(qtbot, window, tmp_path, loopback.url + "/v1")
    assert window.document.conversation.settings.base_url == loopback.url + "/v1"
    assert panel.file_note.text() == "From the file, not set by you: provider."
    window.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    assert not open_boxes(window) and _keys_sent(loopback) == [f"Bearer {KEY}"]


def test_a_keyless_call_to_the_files_base_url_is_not_held_back(
        qtbot, run_window, loopback, tmp_path):
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window()
    window.open_path(_shared_file(tmp_path, loopback.url + "/v1"))
    window.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    assert not open_boxes(window) and _keys_sent(loopback) == []


def test_the_model_list_does_not_spend_the_key_on_the_files_base_url(
        qtbot, qloop, run_window, loopback, tmp_path, monkeypatch):

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    window = run_window(http_client=new_client(follow_redirects=True))
    window.open_path(_shared_file(tmp_path, loopback.url + "/v1"))
    panel = window.request_panel
    with qtbot.waitSignal(panel.models_loaded, timeout=5000):
        panel.refresh_button.click()
    assert loopback.received == []
    assert "not sending your OpenAI (Chat Completions) API key" in panel.model_note.text()


def test_a_key_in_the_base_url_is_noted_and_never_reaches_the_draft_or_the_file(
        qtbot, run_window, tmp_path):
    window = run_window()
    panel = window.request_panel
    panel.base_url_edit.setText("https://gw.example/v1?api-key=QUERYSECRET")
    panel.base_url_edit.editingFinished.emit()
    assert "api-key is used for sending but not saved" in panel.file_note.text()
    assert panel.file_note.isVisibleTo(window)
    assert window.save_to(tmp_path / "mine.json")
    window.editor.set_text(0, "an edit, so the draft is written")
    window.autosaver.flush()
    window.autosaver.wait()
    assert window.drafts.draft_path.exists()
    for path in [tmp_path / "mine.json", *window.user_dir.glob("*.json")]:
        assert "QUERYSECRET" not in path.read_text(), path


def test_a_recovered_draft_keeps_what_the_user_typed_theirs_and_the_files_the_files(
        qtbot, run_window, loopback, tmp_path):
    window = run_window()
    window.autosaver._timer.setInterval(10)
    _typed_over_a_files(qtbot, window, tmp_path, loopback.url + "/v1")
    qtbot.waitUntil(lambda: window.drafts.draft_path.exists(), timeout=3000)
    # No close: the process "died"; the next start recovers the draft.
    again = run_window()
    box = again.offer_recovery()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Open), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not open_boxes(again), timeout=2000)
    settings = again.document.conversation.settings
    assert settings.base_url == loopback.url + "/v1"
    recovered = again.request_panel
    assert recovered.provenance.base_url_chosen
    assert recovered.file_note.text() == "From the file, not set by you: provider."


def test_the_note_says_nothing_of_a_key_for_a_server_that_takes_none(run_window, tmp_path):
    window = run_window()
    path = tmp_path / "local.json"
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="custom", model="m",
                                               base_url="http://127.0.0.1:9/v1")), path)
    assert window.open_path(path)
    note = window.request_panel.file_note.text()
    assert note == "From the file, not set by you: provider, base URL."


def test_the_note_is_as_tall_as_its_text(qtbot, run_window, tmp_path):
    window = run_window()
    window.resize(1280, 800)
    assert window.open_path(_shared_file(tmp_path, "http://elsewhere.invalid/v1"))
    note = window.request_panel.file_note
    qtbot.waitUntil(lambda: note.isVisible() and note.width() > 300)
    qtbot.waitUntil(lambda: note.height() == note.heightForWidth(note.width()))


def _saved_with_a_typed_base_url(qtbot, run_window, loopback, tmp_path):
    """A colleague's file with a base URL the user typed over it, saved as the user's own
    (mine.json) by a window since closed."""
    path = tmp_path / "mine.json"
    window = run_window()
    _typed_over_a_files(qtbot, window, tmp_path, loopback.url + "/v1")
    assert window.save_to(path)
    with qtbot.waitSignal(window.closed):
        window.close()
    return path


def test_the_users_own_file_reopened_unchanged_keeps_their_settings_theirs(
        qtbot, run_window, loopback, tmp_path):
    # Each start reopens the last file; a base URL the user typed and saved was then "from the
    # file" again, and a keyed send asked before using it, start after start.
    path = _saved_with_a_typed_base_url(qtbot, run_window, loopback, tmp_path)

    again = run_window()
    assert again.file_path == path
    assert again.request_panel.provenance.base_url_chosen
    # the provider came from the colleague's file and was never changed: still the file's
    assert again.request_panel.file_note.text() == "From the file, not set by you: provider."
    with qtbot.waitSignal(again.closed):
        again.close()

    # Changed on disk since (by another hand): its settings are the file's again.
    path.write_text(path.read_text(encoding="utf-8").replace('"m"', '"m2"'), encoding="utf-8")
    third = run_window()
    assert third.file_path == path
    assert not third.request_panel.provenance.base_url_chosen


def test_the_users_own_file_opened_again_unchanged_keeps_their_settings_theirs(
        qtbot, run_window, loopback, tmp_path):
    # ``llm-composer FILE`` and Open of the file the window last saved: as a reopen, what the
    # user typed and saved stays theirs; a file changed since is any file.
    path = _saved_with_a_typed_base_url(qtbot, run_window, loopback, tmp_path)

    started = run_window(reopen=False)
    assert started.open_path(path)
    assert started.request_panel.provenance.base_url_chosen
    assert started.request_panel.file_note.text() == "From the file, not set by you: provider."
    assert started.open_path(_shared_file(tmp_path, "http://elsewhere.invalid/v1"))
    assert not started.request_panel.provenance.base_url_chosen
    started.open_path_later(path)  # Open, a drop, the recent list: read on a worker
    qtbot.waitUntil(lambda: started.file_path == path)
    assert started.request_panel.provenance.base_url_chosen
    with qtbot.waitSignal(started.closed):
        started.close()  # its state still vouches for the file

    path.write_text(path.read_text(encoding="utf-8").replace('"m"', '"m2"'), encoding="utf-8")
    changed = run_window(reopen=False)
    assert changed.open_path(path)
    assert not changed.request_panel.provenance.base_url_chosen


def test_a_state_file_not_of_the_windows_writing_vouches_for_nothing(run_window, tmp_path):
    path = _shared_file(tmp_path, "http://elsewhere.invalid/v1")
    window = run_window()
    state = window.drafts.state_path
    real = hashlib.sha256(path.read_bytes()).hexdigest()  # the file as it is: only the list
    for chosen, sha in ((5, real), ("base_url", real), ([7, None], real), (["base_url"], 7),
                        ({"base_url": 1}, real)):
        state.write_text(json.dumps({"path": str(path), "clean_exit": True,
                                     "file_chosen": chosen, "file_sha256": sha}),
                         encoding="utf-8")
        again = run_window()
        assert again.file_path == path
        assert not again.request_panel.provenance.base_url_chosen
