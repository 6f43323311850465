"""Looks like it belongs: readable table previews in the parts' order, chips that say what
they hold, the results' room at 1280×800, and a status bar that does not keep a finished run's
figures beside a refusal."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.parts import AttachmentPart, Message, ReasoningPart, TextPart, ToolCallPart
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.plain_markdown import plain_markdown
from composer.views.table.delegates import chip_layout
from composer.views.table.model import CONTENT_COLUMN
from tests.views.checks import wait_checked
from tests.views.conftest import make_pdf, make_png


def test_markdown_reads_as_text():
    assert plain_markdown("# Plan\n\nUse **bold** and `code`.\n\n- one\n- two") == \
        "Plan\nUse bold and code.\n• one\n• two"
    assert plain_markdown("1. first\n2. second") == "1. first\n2. second"
    assert plain_markdown("```py\nx = 1\n```") == "x = 1"
    assert plain_markdown("| a | b |\n|---|---|\n| 1 | 2 |") == "a | b\n1 | 2"
    assert plain_markdown("just words") == "just words"


def test_the_table_preview_shows_text_not_markdown_and_parts_in_their_order(qtbot, run_window):
    message = Message(role="assistant", parts=[
        TextPart(text="## Result\n\nThe answer is **4**."),
        ToolCallPart(name="check", arguments={"n": 4}, tool_call_id="c1"),
        TextPart(text="Done."),
    ])
    window = run_window(Conversation(messages=[message]))
    model = window.table.model()
    shown = model.data(model.index(0, CONTENT_COLUMN), Qt.ItemDataRole.DisplayRole)
    assert shown.split("\n") == ["Result", "The answer is 4.", '→ check({"n": 4})', "Done."]


def test_the_table_preview_shows_reasoning_as_it_reads(qtbot, run_window):
    """Seen at 1280x800: a reasoning summary showed "**Planning the answer** ⏎ ⏎ …"."""
    message = Message(role="assistant", parts=[
        ReasoningPart(text="**Planning**\n\nAdd `2` and 2."), TextPart(text="4")])
    window = run_window(Conversation(messages=[message]))
    model = window.table.model()
    shown = model.data(model.index(0, CONTENT_COLUMN), Qt.ItemDataRole.DisplayRole)
    assert shown.split("\n") == ["Reasoning: Planning ⏎ Add 2 and 2.", "4"]


def test_attachment_chips_say_what_kind_of_file_they_hold(qtbot, tmp_path, run_window):
    png, pdf = make_png(tmp_path / "chart.png"), make_pdf(tmp_path / "report.pdf")
    message = Message(role="user", parts=[AttachmentPart(attachment=Attachment.from_path(png)),
                                          AttachmentPart(attachment=Attachment.from_path(pdf))])
    window = run_window(Conversation(messages=[message]))
    option = QStyleOptionViewItem()
    option.initFrom(window.table)
    chips = chip_layout(message, QRect(0, 0, 900, 40), option)
    assert [c.label.split(" · ")[:2] for c in chips] == [["Image", "chart.png"],
                                                          ["PDF", "report.pdf"]]


def test_a_refusal_does_not_keep_the_last_runs_figures(qtbot, run_window):
    window = run_window(Conversation(messages=[Message.text("user", "Hi")],
                                     settings=RequestSettings(provider="replay")))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
    assert run.stats_label.text()
    cost = window.token_count.cost_label
    qtbot.waitUntil(lambda: bool(cost.text()), timeout=8000)  # (once prices are loaded)
    window.document.set_settings(window.document.conversation.settings.model_copy(
        update={"provider": "anthropic", "model": "m"}))
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED
    assert run.stats_label.text() == "" and cost.text() == ""


def test_the_results_get_room_at_1280_by_800(qtbot, run_window):
    window = run_window()
    window.resize(1280, 800)
    qtbot.wait(100)
    assert window.output_tabs.height() >= 360
    assert window.output_tabs.height() >= window.request_panel.height()
