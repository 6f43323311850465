"""The states of a run, as the window shows them."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """A StrEnum: the state still compares equal to its name ("done") and travels in a Qt
    signal as text."""

    IDLE = "idle"
    SENDING = "sending"
    RETRYING = "retrying"
    STREAMING = "streaming"
    DONE = "done"
    ERROR = "error"
    STOPPED = "stopped"
    REFUSED = "refused"  # a problem found before sending: nothing was sent
    QUEUED = "queued"  # waiting for its turn at a one-request-at-a-time server (compare)
