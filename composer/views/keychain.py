"""The keychain, asked off the GUI thread: a desktop keychain answers over D-Bus, or asks to be
unlocked, and keyring's first use finds its backend (~100 ms here). A window asks with ``ask``;
the answer comes back on the GUI thread. The app's start holds the asks (``held``) until its
window is painted, so nothing of this runs before, or beside, the first paint."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer
from shiboken6 import isValid

from composer.providers import keys, session_keys
from composer.providers.presets import Preset, needs_key
from composer.views.attachments import run_off_thread
from composer.views.holding import Hold

Answer = Callable[[keys.FoundKey], None]


def ask(owner: QObject, preset: Preset, then: Answer) -> None:
    """``keys.find_key(preset)`` on a worker, then ``then(found)`` on the GUI thread, unless
    ``owner`` is gone by then."""
    if _hold.active:
        _hold.keep((owner, preset, then))
        return
    run_off_thread(owner, lambda: _look_up(preset), then)


def _look_up(preset: Preset) -> keys.FoundKey:
    # Whether there is a keychain at all is what a missing key's note says next, on the GUI
    # thread: it imports keyring's fallback backends (~12 ms), here rather than there.
    session_keys.keychain_available()
    return keys.find_key(preset)


def unasked(preset: Preset) -> bool:
    """Whether a call for ``preset`` would ask the keychain now: it sends a key and the
    keychain's answer for it is not known yet in this process (``keys.known_key``)."""
    return needs_key(preset) and keys.known_key(preset) is None


def ask_first(owner: QObject, presets: Iterable[Preset], then: Callable[[], None]) -> bool:
    """Ask the keychain on a worker for each of ``presets`` that sends a key and whose answer
    is not known yet (``unasked``), then ``then()`` on the GUI thread once all have
    answered: True. False, with nothing asked, when every answer is known: ``find_key`` of
    them all returns at once."""
    waiting = {p.keychain_user: p for p in presets if unasked(p)}
    if not waiting:
        return False
    left = set(waiting)

    def answered(user: str) -> None:
        left.discard(user)
        if not left:
            then()

    for user, preset in waiting.items():
        ask(owner, preset, lambda _found, user=user: answered(user))
    return True


def _send(waiting: list[tuple[QObject, Preset, Answer]]) -> None:
    for owner, preset, then in waiting:
        if isValid(owner):
            ask(owner, preset, then)


# Asks made while held wait, and go out with the event loop's next turn after it ends: what
# the start does before its loop turns (the loop's own imports) is then not slowed by a
# worker importing keyring beside it.
_hold: Hold[tuple[QObject, Preset, Answer]] = Hold(
    lambda waiting: QTimer.singleShot(0, lambda: _send(waiting)))
held = _hold.held
