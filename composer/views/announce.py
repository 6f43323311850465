"""Runs said aloud: start, finish, stop, refusal and error reach a screen reader as Qt
accessibility announcements (``QAccessibleAnnouncementEvent``, Qt 6.8+), once per change of a
run's state; streaming tokens are never announced.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

# state -> what is said; None: the status line's own text, which names the error or refusal.
SAID: dict[str, str | None] = {"sending": "Sending", "done": "Reply finished",
                               "stopped": None, "error": None, "refused": None}
ASSERTIVE = {"error", "refused"}


class Announcer:
    def __init__(self, widget: QWidget):
        self.widget = widget
        self.said: list[str] = []  # what was announced, in order (the last few hundred)

    def announce(self, text: str, assertive: bool = False) -> None:
        self.said = [*self.said[-200:], text]
        # Qt's accessibility classes load with the first announcement, not the window.
        from PySide6.QtGui import QAccessible

        try:
            from PySide6.QtGui import QAccessibleAnnouncementEvent
        except ImportError:  # Qt before 6.8: nothing to announce with
            return
        event = QAccessibleAnnouncementEvent(self.widget, text)
        if assertive:
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
        QAccessible.updateAccessibility(event)


def install(window) -> Announcer:
    """The announcer of the run's state changes in ``window`` (the window keeps it)."""
    announcer = Announcer(window)
    run = window.run_ui

    def on_state(state: str) -> None:
        if state not in SAID:
            return  # streaming, retrying, idle: the screen reader is not interrupted
        text = SAID[state] or window.status_state.text().strip() or state.capitalize()
        announcer.announce(text, assertive=state in ASSERTIVE)

    run.state_changed.connect(on_state)
    return announcer
