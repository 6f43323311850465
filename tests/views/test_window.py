"""The main window: layout, the modified star, files (open, save, import, export, drops, recent),
the unsaved-changes prompt, autosave and recovery. Real widgets, real files, real boxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.exchange import Exchange, Prompt
from composer.models.files import load_conversation, save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.http import new_client
from composer.views.dialogs import open_boxes
from tests.views.dnd import send_drag

Button = QMessageBox.StandardButton


def _conversation(*texts: str) -> Conversation:
    roles = ["user", "assistant"]
    return Conversation(messages=[Message.text(roles[i % 2], t) for i, t in enumerate(texts)])


def _answer(qtbot, window, button: Button) -> str:
    """Click ``button`` on the one box open over the window; return the box's text."""
    qtbot.waitUntil(lambda: len(open_boxes(window)) == 1, timeout=2000)
    box = open_boxes(window)[0]
    text = box.text() + "\n" + box.informativeText()
    qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not open_boxes(window), timeout=2000)
    return text


def _edit_first_row(window, text="changed"):
    window.editor.set_text(0, text)


def test_first_start_shows_the_example_in_the_designed_layout(make_window):
    window = make_window()
    assert len(window.document) > 0
    top = window.left_splitter.widget(0)  # the table with the compose box under it
    assert window.table.parent() is top and window.compose.parent() is top
    assert window.compose.geometry().top() >= window.table.geometry().bottom()
    assert window.left_splitter.widget(1) is window.detail
    assert window.right_splitter.widget(0) is window.request_panel
    assert window.right_splitter.widget(1) is window.output_tabs
    assert window.output_tabs.count() >= 1
    assert window.windowTitle() == "Untitled[*] — Composer"
    assert not window.isWindowModified()
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    ours = ["File", "Edit", "Conversation", "View", "Help"]
    assert [m for m in menus if m in ours] == ours


def test_standard_keys_for_the_frequent_commands(make_window):
    window = make_window()
    assert window.commands.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert window.commands.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.commands.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert window.commands.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    # Ctrl+Enter and Esc belong to Send and Stop alone.
    reserved = {QKeySequence("Ctrl+Return"), QKeySequence("Escape")}
    everything = [a for a in window.findChildren(type(window.commands.new_action))]
    users = {a.text().replace("&", "") for a in everything if a.shortcut() in reserved}
    assert users <= {"Send", "Stop"}


def test_an_edit_sets_the_modified_star_and_undo_clears_it(make_window):
    window = make_window()
    _edit_first_row(window)
    assert window.isWindowModified()
    window.commands.undo_action.trigger()
    assert not window.isWindowModified()
    window.commands.redo_action.trigger()
    assert window.isWindowModified()


def test_save_writes_a_file_that_opens_again(make_window, tmp_path):
    window = make_window(Document(_conversation("hello", "hi there")))
    _edit_first_row(window, "hello, edited")
    path = tmp_path / "chat.json"
    assert window.save_to(path)
    assert not window.isWindowModified()
    assert window.windowTitle() == "chat.json[*] — Composer"
    assert load_conversation(path).messages[0].plain_text == "hello, edited"
    assert window.recent.paths()[0] == str(path.resolve())
    other = make_window(user_dir=tmp_path / "other-user")
    assert other.open_path(path)
    assert [m.plain_text for m in other.document.messages] == ["hello, edited", "hi there"]
    assert other.file_path == path


def test_ctrl_s_saves_to_the_current_file(qtbot, make_window, tmp_path):
    path = tmp_path / "keys.json"
    save(_conversation("one"), path)
    window = make_window()
    window.open_path(path)
    _edit_first_row(window, "two")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(window.file_saved):  # written on a worker
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert load_conversation(path).messages[0].plain_text == "two"
    assert not window.isWindowModified()


def test_a_broken_file_is_one_clear_message_and_nothing_is_lost(qtbot, make_window, tmp_path):
    window = make_window(Document(_conversation("keep me")))
    _edit_first_row(window, "keep me too")
    bad = tmp_path / "broken.json"
    bad.write_text('{"messages": [\n  {"role": "user",,}\n]}', encoding="utf-8")
    assert not window.open_path(bad)
    text = _answer(qtbot, window, Button.Ok)
    assert "broken.json" in text and "line 2 column" in text
    assert "Traceback" not in text
    assert window.document.messages[0].plain_text == "keep me too"
    assert window.isWindowModified()


def test_an_exchange_file_opens_as_its_conversation(make_window, tmp_path):
    exchange = Exchange(model="m", prompt=Prompt(messages=[Message.text("user", "ping")]),
                        messages=[Message.text("assistant", "pong")])
    path = tmp_path / "exchange.json"
    save(exchange, path)
    window = make_window()
    assert window.open_path(path)
    assert [(m.role, m.plain_text) for m in window.document.messages] == [
        ("user", "ping"), ("assistant", "pong")]


def test_a_json_dropped_outside_the_table_opens_it(qtbot, make_window, tmp_path):
    path = tmp_path / "dropped.json"
    save(_conversation("from a drop"), path)
    window = make_window()
    target = window.status_state  # a label in the status bar: it takes no drops itself
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter, _ = send_drag(target, QPointF(5, 5), mime)
    assert enter.isAccepted()
    qtbot.waitUntil(lambda: window.file_path == path, timeout=5000)  # read off the GUI thread
    assert window.document.messages[0].plain_text == "from a drop"


def test_closing_with_changes_asks_and_cancel_keeps_everything(qtbot, make_window):
    window = make_window()
    _edit_first_row(window, "unsaved")
    window.close()
    _answer(qtbot, window, Button.Cancel)
    assert window.isVisible()
    assert window.document.messages[0].plain_text == "unsaved"


def test_closing_and_saving_writes_the_file_first(qtbot, make_window, tmp_path):
    path = tmp_path / "close.json"
    save(_conversation("before"), path)
    window = make_window()
    window.open_path(path)
    _edit_first_row(window, "after")
    with qtbot.waitSignal(window.closed):
        window.close()
        _answer(qtbot, window, Button.Save)
    assert load_conversation(path).messages[0].plain_text == "after"


def test_closing_an_untitled_conversation_and_saving_asks_where(qtbot, make_window, tmp_path):
    window = make_window()
    _edit_first_row(window, "new work")
    window.close()
    _answer(qtbot, window, Button.Save)
    dialog = window.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "named"
    with qtbot.waitSignal(window.closed):
        dialog.selectFile(str(target))
        dialog.accept()
    assert load_conversation(tmp_path / "named.json").messages[0].plain_text == "new work"


def test_the_next_start_opens_the_last_file(qtbot, make_window, tmp_path, user_dir):
    path = tmp_path / "last.json"
    save(_conversation("where I was"), path)
    first = make_window()
    first.open_path(path)
    with qtbot.waitSignal(first.closed):
        first.close()
    second = make_window()
    assert second.file_path == path
    assert second.offer_recovery() is None


def test_autosave_and_recovery_after_a_crash(qtbot, make_window, user_dir):
    window = make_window()
    window.autosaver._timer.setInterval(10)
    _edit_first_row(window, "typed just before the crash")
    qtbot.waitUntil(lambda: window.drafts.draft_path.exists(), timeout=3000)
    # No close: the process "died". The next start offers the draft.
    again = make_window()
    assert again.document.messages[0].plain_text != "typed just before the crash"
    box = again.offer_recovery()
    assert box is not None and "did not close normally" in box.text()
    _answer(qtbot, again, Button.Open)
    assert again.document.messages[0].plain_text == "typed just before the crash"
    assert again.isWindowModified()
    assert not (user_dir / "draft-recovered.json").exists()


def test_import_with_losses_shows_the_report_first_and_can_be_cancelled(qtbot, make_window,
                                                                        tmp_path):
    # A function_call that is not {name, arguments} JSON comes in as text, with a note.
    line = {"conversations": [{"from": "human", "value": "question 1"},
                              {"from": "function_call", "value": "answer 1"}]}
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    window = make_window(Document(_conversation("mine")))
    assert window.import_path(path) is None
    report = _answer(qtbot, window, Button.Cancel)
    assert "two.jsonl" in report and "kept as text" in report
    assert window.document.messages[0].plain_text == "mine"
    window.import_path(path)
    _answer(qtbot, window, Button.Ok)
    assert [m.plain_text for m in window.document.messages] == ["question 1", "answer 1"]
    assert "imported from two.jsonl" in window.windowTitle()
    assert window.isWindowModified()  # not saved as a Composer file yet


def test_export_writes_the_chosen_format(make_window, tmp_path):
    window = make_window(Document(_conversation("export me", "ok")))
    out = tmp_path / "out.json"
    assert window.export_to(out, "composer")
    assert load_conversation(out).messages[0].plain_text == "export me"


@pytest.mark.parametrize(("provider", "offered"), [
    ("anthropic", "Anthropic Messages"), ("ollama", "OpenAI Chat Completions"),
    ("openai", "OpenAI Responses"), ("gemini", "Google Gemini"),
    ("replay", "Composer conversation"), ("no-such-provider", "Composer conversation")])
def test_export_first_offers_the_format_the_conversation_is_sent_in(make_window, provider,
                                                                    offered):
    conversation = _conversation("export me")
    conversation.settings.provider = provider
    window = make_window(Document(conversation))
    window.choose_export()
    dialog = window._dialog
    assert isinstance(dialog, QFileDialog)
    assert dialog.selectedNameFilter().startswith(offered)
    dialog.reject()


def test_export_to_a_missing_folder_is_one_line(qtbot, make_window, tmp_path):
    window = make_window(Document(_conversation("x")))
    assert not window.export_to(tmp_path / "no" / "such" / "dir.json", "composer")
    text = _answer(qtbot, window, Button.Ok)
    assert "dir.json" in text or "no such" in text.lower()


def test_recent_menu_lists_files_and_drops_missing_ones(qtbot, make_window, tmp_path):
    path = tmp_path / "r.json"
    save(_conversation("recent"), path)
    window = make_window()
    window.open_path(path)
    window.fill_recent_menu()
    texts = [a.text() for a in window.commands.recent_menu.actions()]
    assert str(path.resolve()) in texts
    Path(path).unlink()
    window._open_recent(str(path.resolve()))
    _answer(qtbot, window, Button.Ok)
    assert str(path.resolve()) not in window.recent.paths()


def test_new_asks_before_discarding_changes(qtbot, make_window):
    window = make_window(Document(_conversation("old")))
    _edit_first_row(window, "old, edited")
    window.commands.new_action.trigger()
    _answer(qtbot, window, Button.Discard)
    assert len(window.document) == 1 and window.document.messages[0].plain_text == ""
    assert window.file_path is None and not window.isWindowModified()


def test_dark_scheme_switches_to_a_dark_fusion_palette_and_back(qapp):
    from composer.views.theme import Scheme, Theme, is_dark

    style, palette = qapp.style().name(), qapp.palette()
    theme = Theme(qapp)
    try:
        theme.apply(Scheme.Dark)
        assert qapp.style().name().lower() == "fusion"
        assert is_dark()
        theme.apply(Scheme.Light)
        assert not is_dark()
        assert qapp.style().name() == style
    finally:
        qapp.styleHints().colorSchemeChanged.disconnect(theme.apply)
        qapp.setPalette(palette)


def test_a_key_in_use_never_reaches_a_saved_file(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-123")
    window = make_window(Document(_conversation("hi")))
    panel = window.request_panel
    panel.provider_combo.setCurrentIndex(panel.provider_combo.findData("openai"))
    qtbot.waitUntil(lambda: not panel._asking_keychain)  # (asked on a worker first)
    assert not panel.key_note.isVisible()  # the key was found
    path = tmp_path / "keyless.json"
    assert window.save_to(path)
    assert window.export_to(tmp_path / "body.json", "openai-chat")
    for written in (path, tmp_path / "body.json", window.user_dir / "draft-state.json"):
        assert "sk-very-secret" not in written.read_text(encoding="utf-8")
    assert load_conversation(path).settings.provider == "openai"


def test_no_two_actions_share_a_key(make_window):
    from collections import Counter

    from PySide6.QtGui import QAction

    window = make_window()
    keys = Counter(s.toString() for a in window.findChildren(QAction) for s in a.shortcuts())
    assert not {k: n for k, n in keys.items() if n > 1}
    assert {"Ctrl+Q", "Ctrl+,"} <= set(keys) or (
        window.commands.quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit))


def test_a_first_start_with_a_key_points_the_example_at_that_provider(
        qtbot, qloop, make_window, monkeypatch):

    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    # A key is found before any server is probed, so this client never connects.
    window = make_window(http_client=new_client())
    assert window.document.conversation.settings.provider == "replay"
    task = window.choose_first_provider()
    qtbot.waitUntil(task.done, timeout=5000)
    assert window.document.conversation.settings.provider == "gemini"
    assert window.request_panel.provider_combo.currentText() == "Google Gemini"
    assert not window.isWindowModified() and window.undo_stack.isClean()


def test_opening_a_file_never_changes_its_provider(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    path = tmp_path / "mine.json"
    save(_conversation("mine"), path)
    window = make_window()
    window.open_path(path)
    window._on_example = False
    assert window.choose_first_provider() is None


def test_attachment_preferences_are_saved_and_keep_only_paths(qtbot, make_window, tmp_path):
    from composer.preferences import Preferences

    window = make_window()
    dialog = window.show_settings()
    dialog.embed_check.setChecked(False)
    dialog.limit_spin.setValue(5)
    assert Preferences.load(window.user_dir) == Preferences(
        embed_attachments=False, attachment_size_limit_mb=5)
    assert window.table.loader.size_limit == 5 * 1024 * 1024
    dialog.close()

    note = tmp_path / "note.txt"
    note.write_text("kept by path")
    window.table.select_rows([0], current=0)
    with qtbot.waitSignal(window.table.loader.attached, timeout=5000):
        window.table.loader.add_files([str(note)], 0)
    attachment = window.document.messages[0].attachments[-1]
    assert attachment.path == str(note) and attachment.content is None
    # A new window starts with the saved preferences.
    again = make_window()
    assert again.table.loader.embed is False and again.detail.loader.embed is False


def test_unreadable_preferences_mean_the_defaults(tmp_path):
    from composer.preferences import FILE_NAME, Preferences

    (tmp_path / FILE_NAME).write_text("{not json")
    assert Preferences.load(tmp_path) == Preferences()
    (tmp_path / FILE_NAME).write_text('{"attachment_size_limit_mb": -3}')
    assert Preferences.load(tmp_path) == Preferences()


def test_a_picture_dropped_outside_the_table_is_attached_on_a_new_row(qtbot, make_window,
                                                                      tmp_path):
    from tests.views.conftest import make_png

    png = make_png(tmp_path / "shot.png")
    window = make_window()
    rows = len(window.document)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png))])
    with qtbot.waitSignal(window.table.loader.attached, timeout=5000):
        send_drag(window.status_state, QPointF(5, 5), mime)
    assert len(window.document) == rows + 1
    added = window.document.messages[-1]
    assert added.role == "user" and added.attachments[0].type == "image/png"
    assert window.file_path is None  # nothing was opened


def test_a_recovery_never_answered_is_offered_again(qtbot, make_window, user_dir):
    window = make_window()
    window.autosaver._timer.setInterval(10)
    _edit_first_row(window, "typed before the crash")
    qtbot.waitUntil(lambda: window.drafts.draft_path.exists(), timeout=3000)
    window.autosaver.stop()  # the process "dies" here
    unanswered = make_window()
    assert unanswered.offer_recovery() is not None
    unanswered._finish_session()  # closed normally without answering
    again = make_window()
    box = again.offer_recovery()
    assert box is not None
    _answer(qtbot, again, Button.Open)
    assert again.document.messages[0].plain_text == "typed before the crash"
    assert not (user_dir / "draft-recovered.json").exists()
    assert not (user_dir / "draft-recovered-state.json").exists()


def test_a_file_opened_by_a_relative_path_is_reopened_from_anywhere(qtbot, make_window,
                                                                     tmp_path, monkeypatch):
    # `llm-composer mine.json` recorded "mine.json" as the last file: a start from another
    # folder (the desktop's launcher) could not find it.
    save(_conversation("mine"), tmp_path / "mine.json")
    monkeypatch.chdir(tmp_path)
    window = make_window()
    assert window.open_path("mine.json")
    assert window.file_path == tmp_path / "mine.json"
    with qtbot.waitSignal(window.closed):
        window.close()
    monkeypatch.chdir(tmp_path.parent)
    again = make_window()
    assert again.file_path == tmp_path / "mine.json"
    assert again.document.messages[0].plain_text == "mine"


def test_an_imported_request_bodys_model_is_said_to_be_left_out(make_window, tmp_path):
    body = {"model": "gpt-4o", "temperature": 0.2,
            "messages": [{"role": "user", "content": "hi"}]}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    window = make_window(Document(_conversation("mine")))
    assert window.import_path(path)
    settings = window.document.conversation.settings
    assert settings.model != "gpt-4o" and settings.options["temperature"] == 0.2
    assert "its model gpt-4o was not applied" in window.statusBar().currentMessage()


def test_a_small_window_never_squeezes_the_parameters_below_their_height(qtbot, make_window,
                                                                         monkeypatch):
    # Seen at 1024×640: the key note wrapped to four lines at the panel's width, the splitter
    # gave the panel the height its hint counted for fewer, and the fields were cut in half.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    window = make_window(Document(Conversation(
        messages=[Message.text("user", "hi")],
        settings=RequestSettings(provider="openai-chat", model="gpt-4o"))))
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.request_panel.width() < 520)
    panel = window.request_panel
    # (Shown once the keychain has answered, on a worker.)
    qtbot.waitUntil(lambda: panel.key_note.isVisible()
                    and panel.key_note.height() > 3 * panel.fontMetrics().height())
    for edit in (panel.temperature_edit, panel.max_tokens_edit):
        qtbot.waitUntil(lambda e=edit: e.height() >= e.minimumSizeHint().height())
