"""The output tabs behind Results: the request inspector, the raw event log and the runs list.

Each is built the first time its tab is shown or the run controller uses it (a Send uses the
inspector and the event log, a finished run the runs list; composer/views/lazy.py). Until then
none has anything to show that a new one would not, so building late shows the same: the
inspector builds its preview when first shown or read, the runs list shows the record it is
given, and an event log cleared before it existed is built cleared.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout

from composer.models.document import Document
from composer.run import Run, RunRecord
from composer.views.inspector import EventLogView, RequestInspector
from composer.views.lazy import LazyPage
from composer.views.runs import RunsPanel


class OutputPages:
    """``inspector``, ``event_log`` and ``runs``, each built on first use; ``*_page`` are the
    tab pages that hold them."""

    def __init__(self, document: Document, record: RunRecord,
                 last_hashes: Callable[[], dict[str, str] | None],
                 show_run: Callable[[Run], None], save_run: Callable[[Run], None]):
        self._document = document
        self._record = record
        self._last_hashes = last_hashes
        self._show_run, self._save_run = show_run, save_run
        self._inspector: RequestInspector | None = None
        self._event_log: EventLogView | None = None
        self._runs: RunsPanel | None = None
        self._events_cleared = False
        self.inspector_page = LazyPage(self._build_inspector)
        self.event_log_page = LazyPage(self._build_event_log)
        self.runs_page = LazyPage(self._build_runs)

    @property
    def inspector(self) -> RequestInspector:
        self.inspector_page.built()
        assert self._inspector is not None
        return self._inspector

    @property
    def event_log(self) -> EventLogView:
        self.event_log_page.built()
        assert self._event_log is not None
        return self._event_log

    @property
    def runs(self) -> RunsPanel:
        self.runs_page.built()
        assert self._runs is not None
        return self._runs

    def _build_inspector(self, layout: QVBoxLayout) -> None:
        inspector = self._inspector = RequestInspector(self._document)
        inspector.last_hashes = self._last_hashes
        layout.addWidget(inspector)

    def _build_event_log(self, layout: QVBoxLayout) -> None:
        log = self._event_log = EventLogView()
        if self._events_cleared:
            self._clear_events()
        layout.addWidget(log)

    def _build_runs(self, layout: QVBoxLayout) -> None:
        runs = self._runs = RunsPanel(self._record)
        runs.show_requested.connect(self._show_run)
        runs.save_requested.connect(self._save_run)
        layout.addWidget(runs)

    def clear(self) -> None:
        """Another conversation came in (Open, Import, New): the runs, the events and the
        request shown were of the one that went."""
        if self._runs is not None:
            self._runs.clear()  # and the record
        else:
            self._record.clear()
        self._events_cleared = True
        if self._event_log is not None:
            self._clear_events()
        if self._inspector is not None:  # one not built yet builds its preview when shown
            self._inspector.schedule_refresh()

    def _clear_events(self) -> None:
        assert self._event_log is not None
        self._event_log.begin()
        self._event_log.summary.setText("")
