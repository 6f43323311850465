"""The fault table through the window (the faults and protocols are in tests/fault_table.py):
each of the nine faults once, the four protocols shared out among them; every fault on every
protocol runs through the transport in tests/test_fault_table.py. For each: the window shows
one clear error, the table is untouched, the part of the reply that arrived stays, the window
stays responsive (a 5 ms timer keeps firing) and Retry sends again and succeeds.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.http import new_client
from composer.run import RunState
from composer.views.results.blocks import ErrorBlock, TextBlock
from tests.fault_table import (
    FAULTS,
    FULL,
    PARTIAL,
    PROTOCOLS,
    READ_TIMEOUT_S,
    WINDOW_CASES,
    Fault,
    Protocol,
    free_port,
)
from tests.loopback import LoopbackServer

# The most the 5 ms timer may go without firing while a run is on. Laying out the reply's first
# widgets costs 40-160 ms on a loaded two-core machine; a GUI thread waiting on the network
# would stop it for the read timeout at least, which is longer.
MAX_GAP_S = 0.4
assert READ_TIMEOUT_S > MAX_GAP_S
SCHEDSTAT = "/proc/thread-self/schedstat"


def _waited_for_a_core() -> float:
    """Seconds this thread has spent ready to run but waiting for a core (Linux's schedstat;
    0 where there is none). A thread that waits on the network is asleep, not waiting for a
    core: this time is the machine's load, not the window's doing."""
    try:
        with open(SCHEDSTAT, encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Ticks:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks, less the time the
    thread spent in that gap waiting for a core (on a machine running more than it has cores
    for, a ready thread can wait half a second for one)."""

    def __init__(self) -> None:
        self.count = 0
        self.max_gap = 0.0
        self._last = time.monotonic()
        self._last_wait = _waited_for_a_core()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now, wait = time.monotonic(), _waited_for_a_core()
        self.max_gap = max(self.max_gap, now - self._last - (wait - self._last_wait))
        self._last, self._last_wait = now, wait
        self.count += 1

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def http_client(qloop, qtbot):
    """One client for the window's runs, as the app has (its set-up, TLS context included, is
    not part of what a Send costs)."""
    client = new_client(follow_redirects=True)
    yield client
    closing = asyncio.ensure_future(client.aclose())
    qtbot.waitUntil(closing.done, timeout=3000)


@pytest.mark.parametrize("protocol, fault", WINDOW_CASES,
                         ids=[f"{p.name}-{f.name}" for p, f in WINDOW_CASES])
def test_fault_through_the_window(qtbot, run_window, http_client, protocol: Protocol,
                                  fault: Fault):
    port = free_port()
    server = None if fault.refused else LoopbackServer(port).start()
    try:
        if server is not None:
            server.queue(*fault.replies(protocol))
        messages = [Message.text("system", "Be brief."), Message.text("user", "Say hello.")]
        window = run_window(Conversation(messages=messages, settings=RequestSettings(
            provider=protocol.provider, model="m",
            base_url=f"http://127.0.0.1:{port}{protocol.path}")), http_client=http_client)
        run = window.run_ui
        run.call_config.read_timeout = READ_TIMEOUT_S
        run.call_config.connect_timeout = 2.0
        before = window.document.conversation.model_copy(deep=True)
        undo_steps = window.undo_stack.count()
        ticks = Ticks()
        run.send_action.trigger()
        qtbot.waitUntil(lambda: run.state in ("done", "error"), timeout=8000)
        ticks.stop()

        # Responsive: the GUI thread never stopped for the network.
        assert ticks.count > 0 and ticks.max_gap < MAX_GAP_S, ticks.max_gap
        if fault.kinds:  # a failed run puts nothing into the table
            assert window.document.conversation == before
            assert window.undo_stack.count() == undo_steps
        else:  # a good one is kept (Keep Replies), one undo step
            assert window.document.messages == [*before.messages, *run.current.messages]
            window.undo_stack.undo()
            assert window.document.conversation == before
        errors = [b for b in run.pane.findChildren(ErrorBlock) if not b.isHidden()]
        if not fault.kinds:
            assert run.state == RunState.DONE and errors == []
            assert run.pane.blocks_of(TextBlock)[0].text == FULL
        else:
            # One clear error: one error part, one line in the status bar, no traceback.
            assert run.state == RunState.ERROR
            assert len(errors) == 1 and errors[0] is run.pane.error_block
            error = run.current.composer.error
            assert error.kind in fault.kinds, (error.kind, error.message)
            if fault.status is not None:
                assert error.status == fault.status
            line = window.status_state.text()
            assert line.startswith("Error: ") and "\n" not in line
            assert "Traceback" not in line and "Traceback" not in error.message
            for word in fault.words:
                assert word in line.lower() or word in error.message.lower(), (word, line)
            # The part that arrived stays, in the pane and in the exchange.
            if fault.partial:
                text = run.pane.blocks_of(TextBlock)[0].text
                assert text.startswith(PARTIAL[protocol.name]), text
                # What came after a malformed event is kept too; the others end the reply.
                assert fault.name == "malformed-event" or text != FULL, text
                assert run.current.messages[0].plain_text == text

        # Retry sends the same request again and this time it goes through.
        if server is None:
            server = LoopbackServer(port).start()
        server.queue(protocol.good())
        received = len(server.received)
        if errors:
            qtbot.mouseClick(errors[0].retry_button, Qt.MouseButton.LeftButton)
        else:
            run.retry()
        qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
        # A reply kept by itself is committed to the tree the moment after the run (a 0 ms
        # timer), before anything a user does; the file's tree is checked after that.
        QApplication.processEvents()
        assert len(server.received) == received + 1
        assert run.pane.blocks_of(TextBlock)[0].text == FULL
        assert run.pane.error_block is None
        # The failed run put nothing into the table; the good one is kept (Keep Replies), once.
        kept = window.document.conversation
        assert kept.messages == [*before.messages, *run.current.messages]
        assert kept.model_copy(update={"messages": before.messages}) == before
        assert window.undo_stack.count() == undo_steps + 1
    finally:
        if server is not None:
            server.stop()


def test_the_window_meets_every_fault_and_every_protocol():
    assert {f.name for _p, f in WINDOW_CASES} == {f.name for f in FAULTS}
    assert {p.name for p, _f in WINDOW_CASES} == set(PROTOCOLS)
