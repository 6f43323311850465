"""What streaming panes share (composer/views/results/frames.py): one scheduler that serves
every pane in turn within one budget, the pace that holds a stream's reading back while a pane
is behind, and full garbage collections held off while a reply streams."""

from __future__ import annotations

import asyncio
import gc

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from composer.models.assembler import Assembler
from composer.models.events import Finish, TextDelta
from composer.models.exchange import Exchange, ExchangeExtras
from composer.providers import pace
from composer.views.results import frames
from composer.views.results.blocks import TextBlock
from composer.views.results.pane import ResultsPane

# 40 paragraphs: each of four panes takes several turns at FRAME_BUDGET 0 (six or more), and
# three times as many are nine times BEHIND.
PARAGRAPHS = [f"Paragraph {i} with **bold**, `code` and a [link](https://example.com).\n\n"
              for i in range(40)]


def _panes(qtbot, n: int) -> list[tuple[ResultsPane, Assembler]]:
    out = []
    for _ in range(n):
        pane = ResultsPane()
        qtbot.addWidget(pane)
        pane.resize(400, 300)
        pane.show()
        assembler = Assembler()
        pane.begin(assembler)
        out.append((pane, assembler))
    return out


def _feed(pane: ResultsPane, assembler: Assembler, *events) -> None:
    for event in events:
        pane.feed(event, assembler.feed(event))


def test_panes_streaming_at_once_are_served_in_turn_and_all_catch_up(qtbot, monkeypatch):
    monkeypatch.setattr(frames, "FRAME_BUDGET", 0.0)  # a turn is one step: the order shows
    panes = _panes(qtbot, 4)
    served: list[int] = []
    for n, (pane, _) in enumerate(panes):
        step = pane.step
        monkeypatch.setattr(pane, "step", lambda step=step, n=n: (served.append(n), step())[1])
    for pane, assembler in panes:
        _feed(pane, assembler, *[TextDelta("t", p) for p in PARAGRAPHS])
    qtbot.waitUntil(lambda: all(p.caught_up and p.events_seen for p, _ in panes), timeout=20000)
    # Every pane got on before any had a second step, and none was left out afterwards.
    assert sorted(served[:4]) == [0, 1, 2, 3]
    assert all(served.count(n) >= 2 for n in range(4))
    for pane, assembler in panes:
        _feed(pane, assembler, Finish("stop"))
        pane.end(Exchange(messages=[assembler.message()],
                          composer=ExchangeExtras(stop_reason="stop")))
    qtbot.waitUntil(lambda: all(p.caught_up for p, _ in panes), timeout=20000)
    for pane, _ in panes:
        shown = pane.blocks_of(TextBlock)[0].view.toPlainText()
        assert ("Paragraph 0 with bold" in shown
                and f"Paragraph {len(PARAGRAPHS) - 1} with bold" in shown)
        assert "**" not in shown


def test_reading_waits_while_a_streaming_pane_is_behind(qtbot, qloop, monkeypatch):
    # No cap on the wait: on a loaded machine the render may take longer than MAX_WAIT, and
    # what is pinned here is that the scheduler wakes the reader, not the cap.
    monkeypatch.setattr(frames, "MAX_WAIT", 60.0)
    ((pane, assembler),) = _panes(qtbot, 1)
    try:
        _feed(pane, assembler, *[TextDelta("t", p) for p in PARAGRAPHS * 3])
        pane.flush()  # shown, its finished blocks not rendered yet
        assert pane.backlog > frames.BEHIND
        turn = asyncio.ensure_future(pace.turn())
        qtbot.waitUntil(turn.done, timeout=30000)
        # The turn came back once the pane was nearly caught up, not after one loop turn.
        assert pane.backlog <= frames.BEHIND
    finally:
        pane.end(Exchange(messages=[assembler.message()]))


def test_the_wait_for_a_pane_is_capped(qtbot, qloop, monkeypatch):
    monkeypatch.setattr(frames, "MAX_WAIT", 0.05)
    ((pane, assembler),) = _panes(qtbot, 1)
    monkeypatch.setattr(pane, "step", lambda: 0.01)  # a pane that never catches up
    try:
        _feed(pane, assembler, *[TextDelta("t", p) for p in PARAGRAPHS * 3])
        pane.flush()
        turn = asyncio.ensure_future(pace.turn())
        qtbot.waitUntil(turn.done, timeout=30000)
        # The reader went on while the pane was still behind: a slow pane never stops a read.
        assert pane.backlog > frames.BEHIND
    finally:
        monkeypatch.undo()
        pane.end(Exchange(messages=[assembler.message()]))


def test_full_collections_wait_while_a_reply_streams(qtbot, monkeypatch):
    monkeypatch.setattr(frames, "COLLECT_AFTER", 0.05)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # earlier tests' panes
    assert frames.streams() == 0  # panes of earlier tests were deleted: their streams ended
    before = gc.get_threshold()
    ((pane, assembler),) = _panes(qtbot, 1)
    assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10 ** 6
    assert frames.streams() == 1
    pane.end(Exchange(messages=[assembler.message()]))
    assert frames.streams() == 0
    qtbot.waitUntil(lambda: gc.get_threshold() == before, timeout=frames.COLLECT_AFTER * 3000)



class _Stepper(QObject):
    """A stepper with ``steps`` steps of work; it logs the scheduler's tick it was served in."""

    def __init__(self, name: str, steps: int, log: list, ticks: list):
        super().__init__()
        self.name, self.left, self.log, self.ticks = name, steps, log, ticks

    def step(self) -> float | None:
        self.log.append((self.ticks[0], self.name))
        self.left -= 1
        return 0.0 if self.left else None


def test_a_tick_serves_one_pane_and_the_panes_take_the_ticks_in_order(qtbot, monkeypatch):
    """Whatever the budget left: the paint of what a step changed comes after the tick, so a
    second pane's step in the same tick would put a second paint in the same frame."""
    monkeypatch.setattr(frames, "FRAME_BUDGET", 0.02)  # room for many of these steps a turn
    monkeypatch.setattr(frames, "frames", frames.Frames())  # no rest a test before left
    ticks = [0]
    tick = frames.scheduler._tick

    def counted() -> None:
        ticks[0] += 1
        tick()

    monkeypatch.setattr(frames.scheduler, "_tick", counted)
    monkeypatch.setattr(frames.scheduler, "_timer", None)  # one made now calls counted()
    log: list = []
    panes = [_Stepper(name, 3, log, ticks) for name in "abc"]
    for pane in panes:
        frames.scheduler.want(pane)
    qtbot.waitUntil(lambda: all(p.left == 0 for p in panes), timeout=10000)
    served_ticks = [n for n, _ in log]
    assert len(set(served_ticks)) == len(served_ticks) == 9  # one step a tick
    assert [name for _, name in log] == list("abc") * 3
