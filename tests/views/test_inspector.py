"""The request inspector before and after Send: method, URL, headers with the key redacted,
pretty body, refreshed (debounced) as the table and settings change; curl with $ENV_VAR; the
raw event log."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QApplication

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.inspector import DEBOUNCE_MS
from tests.loopback import Reply
from tests.views.checks import wait_checked

pytestmark = pytest.mark.usefixtures("short_debounces")


def _openai(url: str | None = None) -> Conversation:
    return Conversation(messages=[Message.text("user", "Hello")],
                        settings=RequestSettings(provider="openai-chat", model="gpt-test",
                                                 base_url=url))


def test_the_request_is_shown_before_sending_with_the_key_redacted(
        qtbot, run_window, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    window = run_window(_openai())
    inspector = window.run_ui.inspector
    # Built once the keychain has answered, on a worker.
    qtbot.waitUntil(lambda: inspector.text.toPlainText().startswith("POST"))
    text = inspector.text.toPlainText()
    assert text.startswith("POST https://api.openai.com/v1/chat/completions\n")
    assert "Authorization: <redacted>" in text and "sk-secret-123" not in text
    body = json.loads(text[text.index("\n{") + 1:])
    assert body["model"] == "gpt-test" and body["messages"][0]["content"] == "Hello"
    curl = inspector.copy_curl()
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in curl and "sk-secret" not in curl
    assert QApplication.clipboard().text() == curl


def test_edits_refresh_the_preview_once_after_a_pause(qtbot, run_window):
    window = run_window(_openai())
    window.output_tabs.setCurrentWidget(window.run_ui.pages.inspector_page)  # the Request tab
    inspector = window.run_ui.inspector
    refreshed = []
    inspector.refreshed.connect(lambda: refreshed.append(inspector.text.toPlainText()))
    for word in ("a", "ab", "abc"):
        window.editor.set_text(0, word)
    assert refreshed == []  # debounced
    qtbot.waitUntil(lambda: len(refreshed) == 1, timeout=DEBOUNCE_MS * 5)
    assert '"content": "abc"' in refreshed[0]
    settings = window.document.conversation.settings.model_copy(update={"model": "other"})
    window.document.set_settings(settings)
    qtbot.waitUntil(lambda: len(refreshed) == 2, timeout=DEBOUNCE_MS * 5)
    assert '"model": "other"' in refreshed[1]


def test_a_missing_key_still_previews_and_says_so(qtbot, run_window):
    window = run_window(_openai())
    inspector = window.run_ui.inspector
    assert "OPENAI_API_KEY" in inspector.notes.text()
    assert "Authorization: <redacted>" in inspector.text.toPlainText()


def test_a_refused_conversation_explains_instead_of_a_request(qtbot, run_window):
    conversation = _openai()
    conversation.settings.provider = "nonsense"
    window = run_window(conversation)
    inspector = window.run_ui.inspector
    assert inspector.request is None and "unknown provider" in inspector.notes.text()
    assert not inspector.copy_curl_button.isEnabled()


def test_after_send_the_sent_request_and_the_event_log_are_shown(qtbot, run_window, loopback):
    body = ('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            "data: [DONE]\n\n")
    loopback.queue(Reply.sse(body))
    window = run_window(_openai(loopback.url))
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    # Until the reply is kept (an edit: the next preview then, when the tab is looked at).
    assert run.inspector.heading.text() == "Request sent"
    assert run.inspector.text.toPlainText().startswith(f"POST {loopback.url}/chat/completions")
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    lines = run.event_log.text.toPlainText().splitlines()
    assert len(lines) == 3 and lines[-1].split()[-1] == "[DONE]"
    assert float(lines[0].split()[0]) >= 0
    # Chat Completions events have no names: the data follows the time, no empty column
    assert lines[0].strip().split("  ", 1)[1].startswith('{"id":"c1"')


def test_a_huge_event_is_shown_cut_with_its_length_and_lines_wrap(qtbot):
    from PySide6.QtWidgets import QPlainTextEdit

    from composer.models.exchange import LogEntry
    from composer.views.inspector import LOG_LINE_CHARS, EventLogView

    view = EventLogView()
    qtbot.addWidget(view)
    view.append([LogEntry(t=0.5, event="image", data="A" * (LOG_LINE_CHARS + 1234))])
    shown = view.text.toPlainText()
    assert shown.startswith("    0.500  image                  AAA")  # names line up
    assert shown.endswith("… (+1,234 characters)")
    assert len(shown) < LOG_LINE_CHARS + 100
    assert view.text.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth


def test_a_big_attachment_is_cut_in_the_shown_request_but_whole_in_curl():
    from composer.providers.base import HttpRequest
    from composer.views.inspector import BODY_STRING_CHARS, request_text

    data = "QUJD" * 5000
    request = HttpRequest("POST", "https://api.example.com/v1/messages",
                          {"x-api-key": "sk-secret"},
                          {"messages": [{"content": [{"source": {"data": data}}]}]})
    shown = request_text(request)
    assert len(shown) < BODY_STRING_CHARS + 500
    assert f"(+{len(data) - 120:,} characters)" in shown and "sk-secret" not in shown
    assert data in request.curl("ANTHROPIC_API_KEY")


def test_attachments_kept_by_path_are_read_off_the_gui_thread_for_the_preview(qtbot, tmp_path):
    from composer.models.attachment import Attachment
    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.models.parts import AttachmentPart, Message, TextPart
    from composer.models.settings import RequestSettings
    from composer.views.inspector import RequestInspector

    note = tmp_path / "note.txt"
    note.write_text("read from disk")
    conversation = Conversation(
        messages=[Message(role="user", parts=[
            TextPart(text="see the file"),
            AttachmentPart(attachment=Attachment.from_path(note, embed=False))])],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-5"))
    assert conversation.messages[0].attachments[0].content is None
    inspector = RequestInspector(Document(conversation))
    qtbot.addWidget(inspector)
    assert inspector.heading.text().startswith("Reading attached files")
    with qtbot.waitSignal(inspector.refreshed, timeout=5000):
        pass
    assert inspector.heading.text() == "Request that Send will make"
    assert "read from disk" in inspector.text.toPlainText()


def test_a_key_the_keychain_was_not_asked_for_is_asked_off_the_gui_thread(
        qtbot, monkeypatch, recording_keyring):
    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from composer.views.inspector import RequestInspector

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")
    conversation = Conversation(messages=[Message.text("user", "Hi")],
                                settings=RequestSettings(provider="anthropic", model="m"))
    inspector = RequestInspector(Document(conversation))
    qtbot.addWidget(inspector)
    assert inspector.heading.text() == "Asking the keychain for the key…"
    with qtbot.waitSignal(inspector.refreshed, timeout=5000):
        pass
    assert inspector.heading.text() == "Request that Send will make"
    threads = recording_keyring.threads
    assert threads and "MainThread" not in threads
    asked = len(threads)
    inspector.refresh()  # the answer known now: built at once
    assert inspector.heading.text() == "Request that Send will make"
    assert len(threads) == asked


def test_a_hidden_preview_is_built_when_looked_at_not_after_each_edit(qtbot, run_window):
    # Building it prepares the whole request on the GUI thread (~0.4 s at 10,000 messages).
    window = run_window(_openai())
    inspector = window.run_ui.inspector
    assert inspector.heading.text() == "Request that Send will make"
    refreshed = []
    inspector.refreshed.connect(lambda: refreshed.append(True))
    window.editor.set_text(0, "edited while the Request tab is hidden")
    qtbot.wait(DEBOUNCE_MS * 4)
    assert refreshed == []
    window.output_tabs.setCurrentWidget(window.run_ui.pages.inspector_page)
    assert refreshed == [True]
    assert '"content": "edited while the Request tab is hidden"' in inspector.text.toPlainText()
