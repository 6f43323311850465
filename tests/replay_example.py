"""The bundled example exchange with its start cut short, for the tests that stop a replay
part-way (``| head``, Ctrl-C, cancel): the events they wait for come at once, and the ones after
keep their recorded gaps, so the stop still lands mid-stream."""

from __future__ import annotations

from pathlib import Path

from composer.models.files import load, save
from composer.providers.replay import EXAMPLE_EXCHANGE


def example_from(path: Path, start: float) -> Path:
    """The example saved as ``path`` with its first ``start`` seconds cut: each event comes
    ``start`` s earlier than recorded (none before 0)."""
    exchange = load(EXAMPLE_EXCHANGE)
    events = exchange.composer.events
    for i, entry in enumerate(events):
        events[i] = entry._replace(t=round(max(0.0, entry.t - start), 4))
    save(exchange, path)
    return path
