"""Rendered output never fetches anything and no label interprets provider text as HTML.

A second loopback server stands in for an attacker's host and counts every request it gets.
A reply whose text, Markdown, tool name, call id, model name and error message carry images,
links, style sheets and CSS urls pointing at it is streamed into the window, appended to the
conversation, answered, listed in Runs, compared, and painted; the server must see nothing,
and every label that shows such text shows it as written.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QApplication, QLabel, QTextBrowser, QWidget

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.results.blocks import ErrorBlock, TextBlock, ToolCallBlock
from composer.views.table.model import CONTENT_COLUMN
from tests.loopback import LoopbackServer, Reply

RAW_MARKERS = ("<img", "<div", "<style", "<link")


@pytest.fixture
def attacker():
    server = LoopbackServer().start()
    yield server
    server.stop()


def _payloads(host: str) -> dict[str, str]:
    return {
        "text": (f'Hello <img src="{host}/x"> and <b>bold</b>\n\n'
                 f"![x]({host}/y) [a link]({host}/link) <{host}/autolink>\n\n"
                 f'<div style="background:url({host}/css)">styled</div>\n\n'
                 f"<style>body {{ background: url({host}/sheet) }}</style>"
                 f'<link rel="stylesheet" href="{host}/linked.css">\n\n'
                 f'| a | b |\n|---|---|\n| <img src="{host}/cell"> | ![c]({host}/cellmd) |\n'),
        "tool": f'get<img src="{host}/tool">',
        "id": f'call_<img src="{host}/id">',
        "model": f'model <img src="{host}/model"><b>x</b>',
        "error": f'bad request <img src="{host}/err"> <a href="{host}/errlink">here</a>',
    }


def _chunk(delta: dict, model: str, finish: str | None = None) -> str:
    return "data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": model,
                                  "choices": [{"index": 0, "delta": delta,
                                               "finish_reason": finish}]})


def _reply(p: dict[str, str]) -> Reply:
    events = [
        _chunk({"role": "assistant", "content": p["text"][:40]}, p["model"]),
        _chunk({"content": p["text"][40:]}, p["model"]),
        _chunk({"tool_calls": [{"index": 0, "id": p["id"], "type": "function",
                                "function": {"name": p["tool"], "arguments": ""}}]}, p["model"]),
        _chunk({"tool_calls": [{"index": 0, "function": {
            "arguments": json.dumps({"q": p["error"]})}}]}, p["model"]),
        _chunk({}, p["model"], "tool_calls"),
        "data: [DONE]",
    ]
    return Reply.sse("\n\n".join(events) + "\n\n")


def _interpreted(label: QLabel) -> bool:
    fmt = label.textFormat()
    return fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGui.mightBeRichText(label.text()))


def _labels_showing_html(root: QWidget, host: str) -> list[str]:
    """Labels whose text holds raw markup from the reply and would render it as HTML."""
    bad = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if host in text and any(m in text for m in RAW_MARKERS) and _interpreted(label):
            bad.append(f"{label.parent().__class__.__name__}: {text[:80]!r}")
    return bad


def _paint_everything(qtbot, window) -> None:
    """Show every output tab and paint the window, so any resource a widget would load is
    asked for now."""
    tabs = window.output_tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        QApplication.processEvents()
        window.grab()
    tabs.setCurrentIndex(0)
    window.grab()
    qtbot.wait(50)


def test_a_hostile_reply_fetches_nothing_and_no_label_renders_its_html(
        qtbot, run_window, loopback, attacker):
    p = _payloads(attacker.url)
    loopback.queue(_reply(p),
                   Reply.json({"error": {"message": p["error"], "type": f"<b>{p['tool']}</b>"}},
                              status=400, headers={"x-request-id": p["id"]}))
    window = run_window(Conversation(
        messages=[Message.text("user", "hi")],
        settings=RequestSettings(provider="custom", base_url=loopback.url + "/v1", model="m")))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)

    # What arrived is all there, as text.
    text_block = run.pane.blocks_of(TextBlock)[0]
    assert text_block.text == p["text"]
    call_block = run.pane.blocks_of(ToolCallBlock)[0]
    assert call_block.header.text() == f"Tool call: {p['tool']}"
    assert call_block.id_label.text() == p["id"]
    assert p["model"] in run.pane.title.text()
    assert p["model"] in run.runs.list.item(0).text()

    # The reply in the table and the detail editor; a tool row answering it.
    run.append_action.trigger()
    run.answer_action.trigger()
    tool_row = len(window.document) - 1
    window.table.select_rows([tool_row])
    window.table.mark_problem(tool_row, f"refused: {p['error']}")
    tooltip = window.table.model().index(tool_row, CONTENT_COLUMN).data(
        Qt.ItemDataRole.ToolTipRole)
    assert p["error"] not in tooltip and "&lt;img" in tooltip  # shown escaped, as written
    window.table.clear_problems()
    assert any(p["tool"] in label.text() and p["id"] in label.text()
               for label in window.detail.findChildren(QLabel))  # "↳ answers <name> (<id>)"

    # A second run fails with a hostile error message; then the two runs are compared.
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
    error = run.pane.error_block
    assert isinstance(error, ErrorBlock) and error.message.text() == p["error"]
    assert p["error"] in window.status_state.text()
    run.runs.select(1, 2)
    diff = run.runs.compare_selected()
    qtbot.addWidget(diff)
    run.runs.show_requested.emit(run.runs.runs[0])  # the first run shown again

    _paint_everything(qtbot, window)
    diff.grab()

    assert attacker.received == [], [r.path for r in attacker.received]
    assert _labels_showing_html(window, attacker.url) == []
    # Rendered Markdown: images became links, raw HTML is text, nothing was loaded.
    for view in window.findChildren(QTextBrowser) + [diff.view]:
        assert "<img" not in view.toHtml()
        assert not getattr(view, "refused_resources", [])
    shown = run.pane.blocks_of(TextBlock)[0].view.toPlainText()
    assert f'<img src="{attacker.url}/x">' in shown  # the raw HTML is shown as text
    assert "[image: x]" in shown
    assert "<b>" not in diff.view.toHtml().split("<body", 1)[0]
