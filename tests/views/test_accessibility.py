"""Accessible: every interactive widget has a name a screen reader can say, in every state of
the window and its dialogs."""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.parts import AttachmentPart, Message, TextPart, ToolCallPart, ToolResultPart
from composer.models.settings import RequestSettings
from composer.run import RunState
from tests.views.checks import wait_checked
from tests.views.conftest import make_png

INTERACTIVE = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractItemView,
               QPlainTextEdit, QTextEdit, QTabBar, QAbstractSlider, QKeySequenceEdit)
# Parts of a named whole: a scroll bar (its role and value say it all) and a header (its sections
# are the model's header data).
PARTS = (QScrollBar, QHeaderView)


def unnamed(root: QWidget) -> list[str]:
    """The interactive widgets shown under ``root`` whose accessible name is empty (what
    Qt's accessibility layer reports: an explicit name, a button's text, a label's buddy…)."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE) or isinstance(widget, PARTS) \
                or not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLineEdit) and isinstance(
                widget.parent(), QComboBox | QAbstractSpinBox | QKeySequenceEdit):
            continue  # the combo, spin box or key editor it belongs to carries the name
        iface = QAccessible.queryAccessibleInterface(widget)
        if iface is None or not iface.text(QAccessible.Text.Name).strip():
            path = []
            w = widget
            while w is not None and w is not root:
                path.append(type(w).__name__ + (f"#{w.objectName()}" if w.objectName() else ""))
                w = w.parentWidget()
            found.append(" < ".join(path))
    return found


def _conversation(tmp_path) -> Conversation:
    png = make_png(tmp_path / "chart.png")
    return Conversation(messages=[
        Message.text("system", "Be brief."),
        Message(role="user", parts=[TextPart(text="Look"),
                                    AttachmentPart(attachment=Attachment.from_path(png))]),
        Message(role="assistant", parts=[ToolCallPart(name="f", arguments={"x": 1},
                                                      tool_call_id="c1")]),
        Message(role="tool", parts=[ToolResultPart(name="f", output="2", tool_call_id="c1")]),
    ], settings=RequestSettings(provider="replay"))


def test_every_interactive_widget_has_an_accessible_name_in_every_state(qtbot, run_window,
                                                                        tmp_path):
    window = run_window(_conversation(tmp_path))
    problems: dict[str, list[str]] = {}
    for row in range(len(window.document)):
        window.table.select_rows([row], current=row)
        qtbot.wait(20)
        problems[f"row {row + 1}"] = unnamed(window)
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
    for tab in range(window.output_tabs.count()):
        window.output_tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        problems[f"output tab {window.output_tabs.tabText(tab)}"] = unnamed(window)
    for tab in range(window.request_panel.tabs.count()):
        window.request_panel.tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        problems[f"request tab {window.request_panel.tabs.tabText(tab)}"] = unnamed(window)
    settings = window.show_settings()
    problems["settings"] = unnamed(settings)
    settings.close()
    keys = window.show_shortcuts()
    problems["shortcuts"] = unnamed(keys)
    keys.close()
    assert {state: names for state, names in problems.items() if names} == {}


def test_the_check_sees_a_widget_without_a_name(qtbot):
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    icon_only = QPushButton()
    named = QPushButton("Send")
    layout.addWidget(icon_only)
    layout.addWidget(named)
    assert unnamed(root) == ["QPushButton"]
    icon_only.setAccessibleName("Attach a file")
    assert unnamed(root) == []


def test_table_rows_say_their_role_and_their_parts_in_order(qtbot, run_window, tmp_path):
    window = run_window(_conversation(tmp_path))
    iface = QAccessible.queryAccessibleInterface(window.table)
    said = []  # (name, description) of every cell, as Qt's accessible table reports them
    for k in range(iface.childCount()):
        cell = iface.child(k)
        said.append((cell.text(QAccessible.Text.Name), cell.text(QAccessible.Text.Description)))
    assert ("Row 2, user", "2 parts: text, image chart.png") in said
    assert ("user: Look", "2 parts: text, image chart.png") in said
    assert ("image chart.png", "2 parts: text, image chart.png") in said
    assert ("assistant: 1 part: tool call f", "1 part: tool call f") in said
    assert ("Row 4, tool", "1 part: tool result f") in said


def test_a_run_is_announced_at_start_and_finish_never_per_token(qtbot, run_window, tmp_path):
    from PySide6 import QtGui

    assert hasattr(QtGui, "QAccessibleAnnouncementEvent")  # Qt 6.8+: announcements go out
    window = run_window(_conversation(tmp_path))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
    # The replayed reply streams many deltas; two announcements, whatever their number.
    assert len(run.event_log.text.toPlainText().splitlines()) > 5
    assert window.announcer.said == ["Sending", "Reply finished"]


def test_a_refusal_and_an_error_are_announced_with_their_reason(qtbot, run_window, loopback):
    from tests.loopback import Reply

    window = run_window(Conversation(messages=[Message.text("user", "Hi")],
                                     settings=RequestSettings(provider="anthropic", model="m")))
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert window.announcer.said[-1].startswith("Not sent: ")
    assert "no API key for Anthropic" in window.announcer.said[-1]
    loopback.queue(Reply.json({"type": "error", "error": {"type": "authentication_error",
                                                          "message": "invalid x-api-key"}},
                              status=401))
    window.document.set_settings(window.document.conversation.settings.model_copy(
        update={"provider": "custom", "base_url": loopback.url + "/v1"}))
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=8000)
    assert window.announcer.said[-2] == "Sending"
    assert window.announcer.said[-1].startswith("Error: ")
