"""Compare in the window: Run ▸ Compare… (by its key), three targets against loopback servers of
three protocols replaying real recordings, every column streams to its end with its figures,
"Keep this one" on the middle one makes its reply the next row (undoable); a failing target
shows its error in its own column while the others finish; Esc stops every column; the targets
are remembered for the next time."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from composer.models.conversation import Conversation
from composer.models.files import load
from composer.models.parts import Message, TextPart
from composer.models.settings import RequestSettings
from composer.preferences import Preferences
from composer.run.state import RunState
from composer.run.targets import Target
from composer.views.results.blocks import ErrorBlock, TextBlock
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import LoopbackServer, Reply

CHAT = "TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml"
ANTHROPIC = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"
GEMINI = "TestGoogleCommon/gemini-2.5-flash/simple_streaming.yaml"


def recorded(name: str) -> str:
    return cassettes.load(recordings_or_skip() / name).interactions[0].response_body


@pytest.fixture
def servers():
    made = [LoopbackServer().start() for _ in range(3)]
    yield made
    for server in made:
        server.stop()


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-compare")
    monkeypatch.setenv("GEMINI_API_KEY", "gm-compare")


def conversation() -> Conversation:
    return Conversation(messages=[Message.text("system", "You are a helpful assistant"),
                                  Message.text("user", "Say hi in Portuguese")],
                        settings=RequestSettings(provider="replay"))


def fill(dialog, rows: list[tuple[str, str, str, dict[str, str]]]) -> None:
    while len(dialog.rows) < len(rows):
        dialog.add_button.click()
    for row, (preset, model, url, params) in zip(dialog.rows, rows, strict=True):
        row.preset.setCurrentIndex(row.preset.findData(preset))
        row.model.setCurrentText(model)
        row.base_url.setText(url)
        for name, text in params.items():
            row.params[name].setText(text)


def open_dialog(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_M,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.compare_ui.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def sent(qtbot, window):
    """The compare view, once the send went on: after the keychain answered, on a worker, for
    the targets' providers it had not been asked for."""
    view = window.compare_ui.view
    qtbot.waitUntil(view.isVisible)
    return view


def text_of(widget) -> str:
    return "".join(b.text for b in widget.pane.blocks_of(TextBlock))


def test_compare_three_protocols_and_keep_the_middle_reply(qtbot, run_window, servers, keys,
                                                           tmp_path):
    chat, claude, gemini = servers
    chat.queue(Reply.sse(recorded(CHAT), delay=0.08))
    claude.queue(Reply.sse(recorded(ANTHROPIC), delay=0.03))
    gemini.queue(Reply.sse(recorded(GEMINI), delay=0.03))
    window = run_window(conversation())
    dialog = open_dialog(qtbot, window)
    assert len(dialog.rows) == 2  # the first time: two to start from
    fill(dialog, [("custom", "gpt-4o-mini", chat.url, {"temperature": "0.3"}),
                  ("anthropic", "claude-sonnet-4-20250514", claude.url, {"max_tokens": "200"}),
                  ("gemini", "gemini-2.5-flash", gemini.url, {})])
    dialog.send_button.click()

    view = sent(qtbot, window)
    assert len(view.columns) == 3
    qtbot.waitUntil(lambda: all(c.column.ended for c in view.columns), timeout=10000)
    assert [c.column.state for c in view.columns] == [RunState.DONE] * 3
    # Each target got its own request and parameters, in its own protocol.
    assert chat.received[0].path == "/chat/completions"
    assert chat.received[0].json["temperature"] == 0.3
    assert claude.received[0].json["max_tokens"] == 200
    assert ":streamGenerateContent" in gemini.received[0].path
    # Every column shows its reply and its figures under its target's name.
    assert [c.name.full_text for c in view.columns] == [
        "custom:gpt-4o-mini", "anthropic:claude-sonnet-4-20250514", "gemini:gemini-2.5-flash"]
    assert text_of(view.columns[0]) == "Olá!"
    assert text_of(view.columns[1]).startswith("Olá! (That's")
    assert text_of(view.columns[2]) == "Olá!"
    rates = []
    for widget in view.columns:
        figures = {k: label.text() for k, label in widget.figures.items()}
        assert figures["ttft"].endswith(" s") and figures["stop"] == "stop", figures
        assert figures["tokens"] == f"{widget.column.exchange.usage.output:,}", figures
        rates.append(figures["rate"])
        assert widget.state.text() == "Done" and widget.keep_button.isEnabled()
    # Gemini's recorded reply is one event: a burst may have no rate to show.
    assert rates[0] != "–" and rates[1] != "–"
    assert rates[2] == (view.columns[2].column.metrics.rate_text or "–")
    assert view.columns[1].figures["tokens"].toolTip().startswith("in ")
    assert float(rates[1]) == pytest.approx(view.columns[1].column.metrics.tokens_per_second,
                                            abs=0.05)
    assert view.status.text() == "3 of 3 finished"

    # Each column's exchange can be saved as a file, the one Save Exchange writes.
    view.columns[2].save_button.click()
    dialog = window.run_ui._dialog
    dialog.fileSelected.emit(str(tmp_path / "gemini"))
    saved_exchange = load(tmp_path / "gemini.json")
    assert saved_exchange.composer.protocol == "gemini" and saved_exchange.messages
    dialog.close()

    rows_before = len(window.document)
    view.columns[1].keep_button.click()

    assert len(window.document) == rows_before + 1
    kept = window.document.messages[-1]
    assert kept.role == "assistant"
    assert "".join(p.text for p in kept.parts if isinstance(p, TextPart)).startswith(
        "Olá! (That's")
    assert not any(c.keep_button.isEnabled() for c in view.columns)
    assert "kept anthropic:claude-sonnet-4-20250514" in view.status.text()
    # The other columns' replies are the kept turn's variants: the middle one shown, 2 of 3.
    tree = window.document.tree
    assert tree.variant_rows[len(window.document) - 1] == (1, 3)
    window.undo_stack.undo()  # one undoable edit
    assert len(window.document) == rows_before
    # The targets are remembered, and offered the next time.
    saved = Preferences.load(window.user_dir).compare_targets
    assert [t["model"] for t in saved] == ["gpt-4o-mini", "claude-sonnet-4-20250514",
                                           "gemini-2.5-flash"]
    assert saved[0]["base_url"] == chat.url and saved[0]["options"] == {"temperature": 0.3}
    again = window.compare_ui.choose_targets()
    assert [r.model.currentText() for r in again.rows] == [t["model"] for t in saved]
    assert again.rows[1].params["max_tokens"].text() == "200"
    again.reject()


def test_a_failing_target_shows_its_error_in_its_column(qtbot, run_window, servers, keys):
    chat, claude, _ = servers
    chat.queue(Reply.json({"error": {"message": "model not loaded", "type": "invalid_request"}},
                          status=404))
    claude.queue(Reply.sse(recorded(ANTHROPIC)))
    window = run_window(conversation())
    dialog = open_dialog(qtbot, window)
    fill(dialog, [("custom", "missing", chat.url, {}),
                  ("anthropic", "claude", claude.url, {})])
    dialog.send_button.click()
    view = sent(qtbot, window)
    qtbot.waitUntil(lambda: all(c.column.ended for c in view.columns), timeout=10000)

    broken, good = view.columns
    assert broken.column.state == RunState.ERROR and broken.state.text() == "Failed"
    error = broken.pane.error_block
    assert isinstance(error, ErrorBlock) and "model not loaded" in error.message.text()
    assert not broken.keep_button.isEnabled()
    assert good.column.state == RunState.DONE and text_of(good).startswith("Olá!")
    assert view.status.text() == "2 of 2 finished · 1 failed"
    # Retry in the failing column sends that target alone again.
    chat.queue(Reply.sse(recorded(CHAT)))
    error.retry_button.click()
    qtbot.waitUntil(lambda: broken.column.state == RunState.DONE, timeout=10000)
    assert text_of(broken) == "Olá!" and broken.keep_button.isEnabled()
    assert len(claude.received) == 1


def test_a_bad_parameter_is_shown_under_its_row_and_nothing_is_sent(qtbot, run_window, servers):
    window = run_window(conversation())
    dialog = open_dialog(qtbot, window)
    fill(dialog, [("custom", "a", servers[0].url, {"temperature": "hot"}),
                  ("custom", "b", servers[0].url, {})])
    dialog.send_button.click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.rows[0].problem.isVisible() and "temperature" in dialog.rows[0].problem.text()
    assert not dialog.rows[1].problem.isVisible()
    assert servers[0].received == [] and not window.compare_ui.view.isVisible()
    assert dialog.rows[0].params["temperature"].text() == "hot"  # what was typed stays
    dialog.reject()


def test_esc_stops_every_column_and_each_keeps_what_arrived(qtbot, run_window, servers, keys):
    chat, claude, _ = servers
    go_on = threading.Event()  # both servers hold the rest of their replies back until then
    claude.queue(Reply.sse(recorded(ANTHROPIC), stall_before=4, stall=10, until=go_on))
    chat.queue(Reply.sse(recorded(CHAT), stall_before=2, stall=10, until=go_on))
    window = run_window(conversation())
    dialog = open_dialog(qtbot, window)
    fill(dialog, [("anthropic", "first", claude.url, {}),
                  ("anthropic", "queued", claude.url, {}),  # the same local server: waits
                  ("custom", "other", chat.url, {})])
    dialog.send_button.click()
    view = sent(qtbot, window)
    qtbot.waitUntil(lambda: "Olá" in text_of(view.columns[0]), timeout=10000)
    assert view.columns[1].column.state == RunState.QUEUED
    assert view.columns[1].state.text() == "Queued"
    qtbot.keyClick(view.columns[0].pane, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: all(c.column.ended for c in view.columns), timeout=5000)
    go_on.set()
    assert [c.column.state for c in view.columns] == [RunState.STOPPED] * 3
    assert [c.state.text() for c in view.columns] == ["Stopped"] * 3
    assert len(claude.received) == 1  # the queued one was never sent
    assert view.columns[0].pane.error_block.error.kind == "cancelled"
    assert text_of(view.columns[0])  # what arrived stays
    qtbot.waitUntil(lambda: view.again_button.isEnabled())
    assert not view.stop_button.isEnabled() and view.stop_button.text() == "Stop All (Esc)"


def test_the_bar_says_what_the_columns_answer(qtbot, run_window, servers):
    servers[0].queue(Reply.sse(recorded(CHAT)), Reply.sse(recorded(CHAT)))
    window = run_window(conversation())
    window.compare_ui.send([Target("custom", "a", servers[0].url),
                            Target("custom", "b", servers[0].url)])
    view = window.compare_ui.view
    assert view.prompt.full_text == "2 messages, the last (user): “Say hi in Portuguese”"
    qtbot.waitUntil(lambda: not view.running, timeout=10000)


def test_compare_is_a_command_with_its_own_key_in_the_shortcut_list(run_window):
    from PySide6.QtGui import QKeySequence

    from composer.views import shortcuts

    window = run_window()
    (command,) = [c for c in shortcuts.commands(window) if c.id == "compare"]
    assert command.where == "Run" and command.title == "Compare"
    assert command.keys() == [QKeySequence("Ctrl+Shift+M")]
    assert shortcuts.collisions(window) == []
    shortcuts.apply(window, {"compare": "Ctrl+Alt+C"})  # rebindable like every command
    assert window.compare_ui.action.shortcut() == QKeySequence("Ctrl+Alt+C")


def test_list_fetches_a_rows_models_and_a_failure_is_one_line(qtbot, run_window, servers):
    ok, failing, _ = servers
    ok.queue(Reply.json({"object": "list", "data": [{"id": "qwen3-8b"}, {"id": "llama3.2:1b"}]}))
    failing.queue(Reply.json({"error": {"message": "no such route"}}, status=404))
    window = run_window(conversation())
    dialog = open_dialog(qtbot, window)
    fill(dialog, [("custom", "typed", ok.url + "/v1", {}),
                  ("custom", "other", failing.url + "/v1", {})])
    first, second = dialog.rows
    first.list_button.click()
    second.list_button.click()
    qtbot.waitUntil(lambda: first.model.count() == 2 and second.problem.isVisible(),
                    timeout=5000)
    assert [first.model.itemText(i) for i in range(2)] == ["llama3.2:1b", "qwen3-8b"]
    assert first.model.currentText() == "typed"  # what was typed stays
    assert ok.received[0].path == "/v1/models"
    assert second.problem.text().startswith("Could not list models: 404")
    assert first.list_button.isEnabled() and second.list_button.isEnabled()
    dialog.reject()


def test_another_target_starts_on_the_same_server_with_the_listed_models(qtbot, run_window,
                                                                        servers):
    server = servers[0]
    server.queue(Reply.json({"object": "list", "data": [{"id": "small"}, {"id": "large"}]}))
    window = run_window(conversation())
    panel = window.request_panel
    panel.provider_combo.setCurrentIndex(panel.provider_combo.findData("custom"))
    panel.base_url_edit.setText(server.url + "/v1")
    panel.base_url_edit.editingFinished.emit()
    panel.model_combo.setEditText("small")
    panel.temperature_edit.setText("0.3")
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: panel.model_combo.count() == 2, timeout=5000)

    dialog = open_dialog(qtbot, window)
    own, other = dialog.rows
    offered = [other.model.itemText(i) for i in range(other.model.count())]
    assert offered == ["small", "large"]  # what the panel listed, to pick from
    assert other.model.currentText() == ""  # the model is the one thing to choose
    for row in (own, other):
        assert row.base_url.text() == server.url + "/v1"
        assert row.params["temperature"].text() == "0.3"

    other.base_url.setText(server.url + "/v2")
    other.params["max_tokens"].setText("64")
    dialog.add_button.click()
    third = dialog.rows[-1]
    assert third.base_url.text() == server.url + "/v2"  # the last row's, not the first's
    assert third.params["max_tokens"].text() == "64"
    assert third.preset.currentData() == "custom" and third.model.currentText() == ""
    dialog.reject()


def test_an_empty_cell_shows_the_conversation_value_it_sends(qtbot, run_window, servers):
    # Empty cells take the conversation's options, and its base URL for its own preset: the
    # cells say so instead of "default" and "required".
    settings = RequestSettings(provider="custom", model="m", base_url=servers[0].url + "/v1",
                               options={"temperature": 0.2})
    window = run_window(conversation().model_copy(update={"settings": settings}))
    dialog = open_dialog(qtbot, window)
    row = dialog.rows[1]
    row.params["temperature"].clear()
    row.base_url.clear()
    assert row.params["temperature"].placeholderText() == "0.2"
    assert row.params["max_tokens"].placeholderText() == "default"
    assert row.base_url.placeholderText() == servers[0].url + "/v1"
    assert row.target().settings(settings).base_url == servers[0].url + "/v1"
    row.preset.setCurrentIndex(row.preset.findData("ollama"))  # another preset: its own
    assert row.base_url.placeholderText() == "http://localhost:11434/v1"
    dialog.reject()


def test_a_files_base_url_asks_before_a_target_sends_the_key_there(qtbot, run_window, servers,
                                                                  tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from composer.models.files import save
    from composer.views.dialogs import open_boxes

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-file-canary")
    shared, typed = servers[0], servers[1]
    path = tmp_path / "from-a-colleague.json"
    save(Conversation(messages=[Message.text("user", "Say hi in Portuguese")],
                      settings=RequestSettings(provider="anthropic", model="claude",
                                               base_url=shared.url)), path)
    window = run_window()
    assert window.open_path(path)
    targets = [Target("anthropic", "from-file"), Target("anthropic", "typed", typed.url)]

    # Cancel: the file's server gets nothing, the typed one is sent to.
    typed.queue(Reply.sse(recorded(ANTHROPIC)))
    assert window.compare_ui.send(targets) is None  # the keychain is asked first, on a worker
    qtbot.waitUntil(lambda: any(b.checkBox() is not None for b in open_boxes(window)))
    (box,) = [b for b in open_boxes(window) if b.checkBox() is not None]
    assert shared.url in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    view = window.compare_ui.view
    qtbot.waitUntil(lambda: view.compare is not None and not view.running, timeout=10000)
    refused, sent = view.columns
    assert refused.column.state == RunState.REFUSED and shared.received == []
    assert "type the base URL into the target" in refused.pane.error_block.message.text()
    assert sent.column.state == RunState.DONE

    # Send the Key: both are sent, the file's server with the key.
    shared.queue(Reply.sse(recorded(ANTHROPIC)))
    typed.queue(Reply.sse(recorded(ANTHROPIC)))
    assert window.compare_ui.send(targets) is None
    (box,) = [b for b in open_boxes(window) if b.checkBox() is not None]
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.task is not None and view.task.done(), timeout=10000)
    assert [c.column.state for c in view.columns] == [RunState.DONE] * 2
    assert shared.received[0].headers["x-api-key"] == "sk-ant-file-canary"
    # Allowed for the session now: no question the next time.
    shared.queue(Reply.sse(recorded(ANTHROPIC)))
    typed.queue(Reply.sse(recorded(ANTHROPIC)))
    task = window.compare_ui.send(targets)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10000)


def test_the_keychain_is_asked_off_the_gui_thread_before_a_compare_goes(
        qtbot, run_window, monkeypatch, recording_keyring):
    """A desktop keychain answers over D-Bus, or asks to be unlocked: for providers it was not
    asked for yet, a compare asks it on a worker, once per provider, and goes on after."""
    from composer.providers import keys

    for var in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    window = run_window(conversation())
    keys.forget_keychain_cache()
    threads = recording_keyring.threads
    targets = [Target("anthropic", "a"), Target("anthropic", "b"), Target("gemini", "c")]
    assert window.compare_ui.send(targets) is None
    view = sent(qtbot, window)
    qtbot.waitUntil(lambda: all(c.column.ended for c in view.columns), timeout=5000)
    assert [c.column.state for c in view.columns] == [RunState.REFUSED] * 3
    assert "no API key for Anthropic" in view.columns[0].pane.error_block.message.text()
    assert len(threads) == 2 and "MainThread" not in threads
    # Asked once: the next compare goes at once.
    task = window.compare_ui.send(targets)
    assert task is not None and len(threads) == 2
    qtbot.waitUntil(task.done, timeout=5000)
