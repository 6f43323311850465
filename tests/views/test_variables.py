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
