"""The runs list: every run of the session, shown again, compared side by side, saved."""

from __future__ import annotations

import json

from composer.models.conversation import Conversation
from composer.models.files import load
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.reply_diff import ReplyDiffWindow
from composer.views.reply_diff.page import LIGHT
from composer.views.results.blocks import TextBlock
from tests.loopback import Reply


def _reply(text: str) -> Reply:
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"content": text}}]}
    end = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return Reply.sse(f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(end)}\n\ndata: [DONE]\n\n")


def test_runs_are_listed_reopened_compared_and_saved(qtbot, run_window, loopback, tmp_path):
    loopback.queue(_reply("The sky is blue.\nIt is noon."), _reply("The sky is grey.\nIt is noon."))
    window = run_window(Conversation(
        messages=[Message.text("user", "Sky?")],
        settings=RequestSettings(provider="openai-chat", model="m", base_url=loopback.url)))
    run = window.run_ui
    for n in (1, 2):
        run.send_action.trigger()
        qtbot.waitUntil(lambda n=n: run.state == RunState.DONE and len(run.runs.runs) == n,
                        timeout=5000)
    panel = run.runs
    assert panel.list.count() == 2 and panel.list.item(0).text().startswith("#2")

    panel.select(1)
    assert panel.show_button.isEnabled() and not panel.compare_button.isEnabled()
    panel.show_button.click()
    assert run.pane.blocks_of(TextBlock)[0].text.startswith("The sky is blue.")
    assert run.current is panel.runs[0].exchange
    assert run.event_log.count == len(panel.runs[0].exchange.composer.events)

    panel.select(1, 2)
    assert panel.compare_button.isEnabled()
    panel.compare_button.click()
    diff = panel.diff_window
    assert isinstance(diff, ReplyDiffWindow) and diff.isVisible()
    qtbot.addWidget(diff)
    shown = diff.view.toPlainText()
    assert "The sky is blue." in shown and "The sky is grey." in shown
    assert "#1" in shown and "#2" in shown
    # The changed word is marked on each side, and only it.
    marked = diff.view.toHtml()
    assert f"background-color:{LIGHT.removed};\">blue</span>" in marked
    assert f"background-color:{LIGHT.added};\">grey</span>" in marked
    assert marked.count(f"background-color:{LIGHT.removed};") == 1
    assert marked.count(f"background-color:{LIGHT.added};") == 1
    assert diff.verdict.text() == "1 part differs"

    panel.select(2)
    panel.save_button.click()
    dialog = run._dialog
    dialog.fileSelected.emit(str(tmp_path / "second.json"))
    saved = load(tmp_path / "second.json")
    assert saved.messages[0].plain_text.startswith("The sky is grey.")
    dialog.close()

