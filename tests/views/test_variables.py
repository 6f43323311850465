"""The Variables tab: names found in the rows, values typed once, Send refused without one."""

from __future__ import annotations

import json

import pytest

from composer.models.conversation import Conversation
from composer.models.document import ReplaceMessage
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from tests.loopback import Reply
from tests.views.checks import wait_checked

pytestmark = pytest.mark.usefixtures("short_debounces")


def _conversation(url: str) -> Conversation:
    return Conversation(messages=[Message.text("system", "You are {{persona}}."),
                                  Message.text("user", "Say hi to {{ name }}")],
                        settings=RequestSettings(provider="custom", model="m", base_url=url))


def test_send_is_refused_naming_the_unset_variable_then_goes_with_the_value(
        qtbot, run_window, loopback, tmp_path):
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hi Ann"}}]}
    loopback.queue(Reply.sse(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()))
    window = run_window(_conversation(loopback.url))
    panel = window.request_panel
    variables = panel.variables
    assert [variables.table.item(r, 0).text() for r in range(2)] == ["persona", "name"]
    assert panel.tabs.tabText(panel.tabs.indexOf(variables)) == "Variables (2, 2 unset)"

    variables.set_value("persona", "terse")
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.state == RunState.REFUSED
    assert "{{name}} in row 2" in window.status_state.text()
    assert panel.tabs.currentWidget() is variables
    qtbot.wait(20)
    assert loopback.received == []

    variables.set_value("name", "Ann")
    assert panel.tabs.tabText(panel.tabs.indexOf(variables)) == "Variables (2)"
    window.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    sent = json.loads(loopback.received[0].body)
    assert [m["content"] for m in sent["messages"]] == ["You are terse.", "Say hi to Ann"]

    path = tmp_path / "c.json"
    assert window.save_to(path)
    saved = json.loads(path.read_text())
    assert saved["composer"]["variables"] == {"persona": "terse", "name": "Ann"}
    assert saved["messages"][1]["parts"][0]["text"] == "Say hi to {{ name }}"  # kept as written


def test_a_name_typed_into_a_row_appears_once_the_edit_settles(qtbot, run_window, loopback):
    window = run_window(_conversation(loopback.url))
    variables = window.request_panel.variables
    window.document.apply(ReplaceMessage(1, Message.text("user", "{{city}} weather for {{name}}")))
    qtbot.waitUntil(lambda: variables.table.rowCount() == 3, timeout=2000)
    assert [variables.table.item(r, 0).text() for r in range(3)] == ["persona", "city", "name"]


def test_a_big_conversation_is_read_for_names_off_the_gui_thread(qtbot, monkeypatch):
    """Another conversation come in (an open, a start on a big file): its rows are read on a
    worker (~200 ms at 50,000); an edit meanwhile is read after it."""
    import threading

    from composer.models import variables
    from composer.models.document import Document
    from composer.views.variables_panel import READ_HERE, VariablesPanel

    threads = []
    find = variables.Finder.find

    def watched(self, conversation):
        threads.append(threading.current_thread() is threading.main_thread())
        return find(self, conversation)

    monkeypatch.setattr(variables.Finder, "find", watched)
    rows = [Message.text("user", f"row {n}") for n in range(READ_HERE)]
    rows[-1] = Message.text("user", "Hi {{name}}")
    document = Document(Conversation(messages=rows))
    counts = []
    panel = VariablesPanel(document)
    qtbot.addWidget(panel)
    panel.count_changed.connect(lambda used, missing: counts.append((used, missing)))
    assert counts == []  # read on a worker: not answered yet
    document.apply(ReplaceMessage(0, Message.text("user", "and {{place}}")))
    panel.refresh()  # (the settle timer's call) waits for the read under way
    qtbot.waitUntil(lambda: len(counts) == 2, timeout=5000)
    assert counts == [(1, 1), (2, 2)] and threads == [False, True]
    assert panel.missing() == ["place", "name"]
