"""A status message is read whole: after a run the status bar's right holds the run's figures,
which left a message a few words ("Row 4: kept as variant 2 of 2 (Alt+Left shows th", seen in
a real window); while a message would not fit, those figures step aside, and come back after."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from composer.models.conversation import Conversation
from composer.models.parts import Message

FIGURES = "first token 0.01 s · 61.0 tok/s · total 1.49 s · in 40 · out 90"
COST = "· counted ≈ 199 in · no price known for a custom server"
LONG = "Row 4: kept as variant 2 of 2 (Alt+Left shows the one before it, Alt+Right the next)"


def _after_a_run(qtbot, make_window):
    window = make_window(Conversation(messages=[Message.text("user", "Hello")]))
    window.token_count.label.setText("Input ≈ 199 tokens · no price known")
    window.run_ui.stats_label.setText(FIGURES)
    window.token_count.cost_label.setText(COST)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: window.token_count.cost_label.width()
                    >= window.token_count.cost_label.sizeHint().width())
    return window, bar


def _message_has_room(bar, message: str) -> bool:
    """Nothing of the bar's is drawn over the message (Qt paints it from 6 pixels in)."""
    shown = [w for w in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
             if w.isVisible()]
    return min(w.x() for w in shown) >= 6 + bar.fontMetrics().horizontalAdvance(message)


def test_a_long_message_is_shown_whole_and_the_runs_figures_come_back_after(qtbot,
                                                                         make_window):
    window, bar = _after_a_run(qtbot, make_window)
    figures, cost = window.run_ui.stats_label, window.token_count.cost_label
    assert not _message_has_room(bar, LONG)  # as it was: the figures took the room
    bar.showMessage(LONG, 10_000)
    qtbot.waitUntil(lambda: _message_has_room(bar, LONG))
    assert not figures.isVisible() and not cost.isVisible()
    # What the next send is about stays: the count and the run's state.
    assert window.token_count.label.isVisible() and window.status_state.isVisible()
    bar.clearMessage()
    assert figures.isVisible() and cost.isVisible()
    assert figures.text() == FIGURES and cost.text() == COST


def test_a_message_that_fits_leaves_the_figures_where_they_are(qtbot, make_window):
    window, bar = _after_a_run(qtbot, make_window)
    bar.showMessage("Saved.", 10_000)
    assert window.run_ui.stats_label.isVisible() and window.token_count.cost_label.isVisible()
    assert _message_has_room(bar, "Saved.")


def test_figures_that_grow_while_a_message_is_shown_step_aside_too(qtbot, make_window):
    # Seen in a real window: "Row 1 changed since it was sent: the c", the send's message cut
    # when the run ended in an error a moment later and its figures grew.
    window = make_window(Conversation(messages=[Message.text("user", "Hello")]))
    bar = window.statusBar()
    figures, cost = window.run_ui.stats_label, window.token_count.cost_label
    figures.setText("Sending…")
    bar.showMessage(LONG, 10_000)
    assert figures.isVisible()  # it fits beside a short one
    figures.setText("Error: cannot connect to 127.0.0.1: All connection attempts failed "
                    "total 1.45 s")
    cost.setText(COST)
    qtbot.waitUntil(lambda: _message_has_room(bar, LONG))
    assert not figures.isVisible()
    bar.clearMessage()
    assert figures.isVisible() and figures.text().startswith("Error: cannot connect")
