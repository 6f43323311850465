"""Waiting for a Send's checks, which run on a worker (RunController.send)."""


def wait_checked(qtbot, run) -> None:
    """Until the checks of the Send just made are over: it was refused, a question is asked
    (the notes, the key's host), or the request went."""
    qtbot.waitUntil(lambda: not run.checking, timeout=5000)
