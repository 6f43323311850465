"""The window's own files: the recent-files list and the autosaved draft.

Both live in the user directory (``composer.paths.user_dir()`` unless the window is given one).

The draft is the document being edited, written atomically every few seconds while it has
changes the draft does not hold yet, so a crash loses at most those seconds. Beside it,
``draft-state.json`` records which file the draft belongs to, whether it held unsaved changes,
and whether the session ended cleanly; a draft with unsaved changes from a session that did not
end cleanly is offered for recovery on the next start.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.files import atomic_write_text, dumps, load_conversation, read_json
from composer.paths import EXAMPLES

RECENT_LIMIT = 10
AUTOSAVE_INTERVAL_MS = 3000


def example_path() -> Path:
    """The example conversation shown the first time (benchmarks/make_examples.py makes it)."""
    return EXAMPLES / "conversation.json"


def example_conversation() -> Conversation:
    try:
        return load_conversation(example_path())
    except FormatError:
        return Conversation()


def _read_json(path: Path) -> Any:
    """The file's JSON, or None when it is missing or unreadable (our own small files)."""
    try:
        return read_json(path)
    except FormatError:
        return None


def _write_state(path: Path, state: DraftState) -> None:
    atomic_write_text(path, json.dumps(asdict(state), indent=1) + "\n")


class RecentFiles:
    """Most recent first, at most RECENT_LIMIT, no duplicates; missing files are kept until the
    user tries one (a removable drive may come back)."""

    def __init__(self, user_dir: Path):
        self._path = user_dir / "recent.json"

    def paths(self) -> list[str]:
        data = _read_json(self._path)
        if not isinstance(data, list):
            return []
        return [p for p in data if isinstance(p, str)][:RECENT_LIMIT]

    def add(self, path: str | os.PathLike[str]) -> None:
        resolved = str(Path(path).resolve())
        items = [resolved] + [p for p in self.paths() if p != resolved]
        self._write(items[:RECENT_LIMIT])

    def remove(self, path: str) -> None:
        self._write([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._write([])

    def _write(self, items: list[str]) -> None:
        try:
            atomic_write_text(self._path, json.dumps(items, indent=1) + "\n")
        except OSError:
            pass  # a recent-files list that cannot be written is not worth an error box


@dataclass
class DraftState:
    path: str | None = None  # the file the draft belongs to; None = untitled
    modified: bool = False  # the draft holds changes that file does not
    clean_exit: bool = True
    saved_at: float = 0.0


class DraftStore:
    def __init__(self, user_dir: Path):
        self.draft_path = user_dir / "draft.json"
        self.state_path = user_dir / "draft-state.json"
        # A crashed session's draft waits here, with its state, until the user decides.
        self.aside_path = user_dir / "draft-recovered.json"
        self.aside_state_path = user_dir / "draft-recovered-state.json"

    def state(self, path: Path | None = None) -> DraftState:
        data = _read_json(path or self.state_path)
        if not isinstance(data, dict):
            return DraftState()
        known = {k: data[k] for k in DraftState.__dataclass_fields__ if k in data}
        try:
            return DraftState(**known)
        except TypeError:
            return DraftState()

    def write_state(self, state: DraftState) -> None:
        _write_state(self.state_path, state)

    def save(self, conversation: Conversation, state: DraftState) -> None:
        state.saved_at = time.time()
        atomic_write_text(self.draft_path, dumps(conversation))
        self.write_state(state)

    def load(self) -> Conversation | None:
        if not self.draft_path.is_file():
            return None
        try:
            return load_conversation(self.draft_path)
        except FormatError:
            return None

    def recoverable(self) -> bool:
        """A session ended without closing and left unsaved changes in the draft."""
        state = self.state()
        return not state.clean_exit and state.modified and self.draft_path.is_file()

    def set_aside(self) -> tuple[Path, DraftState]:
        """Move a recoverable draft (and its state) aside, so nothing overwrites it."""
        state = self.state()
        os.replace(self.draft_path, self.aside_path)
        _write_state(self.aside_state_path, state)
        return self.aside_path, state

    def set_aside_draft(self) -> tuple[Path, DraftState] | None:
        """A draft set aside earlier whose question was never answered."""
        if not self.aside_path.is_file():
            return None
        return self.aside_path, self.state(self.aside_state_path)

    def forget_set_aside(self) -> None:
        for path in (self.aside_path, self.aside_state_path):
            path.unlink(missing_ok=True)

    def discard(self) -> None:
        try:
            self.draft_path.unlink()
        except FileNotFoundError:
            pass


class Autosaver(QObject):
    """Writes the draft on a timer whenever something changed since the last write.

    Serialising and writing (with fsync) run on a worker thread: a conversation holding big
    attachments is tens of megabytes of JSON, and typing must not stall every few seconds. The
    snapshot handed to the worker is a shallow copy; that is safe because document edits
    replace messages and settings, they never change one in place.
    """

    saved = Signal()
    failed = Signal(str)

    def __init__(self, store: DraftStore, snapshot, parent: QObject | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS):
        """``snapshot()`` returns (conversation, DraftState) for the document as it is now."""
        super().__init__(parent)
        self._store = store
        self._snapshot = snapshot
        self._pending = False
        self._worker: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)

    def mark_changed(self) -> None:
        self._pending = True
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._pending

    def flush(self) -> None:
        self._timer.stop()
        if not self._pending:
            return
        if self._worker is not None and self._worker.is_alive():
            self._timer.start()  # one write at a time: try again after this one
            return
        conversation, state = self._snapshot()
        copy = Conversation.model_construct(messages=list(conversation.messages),
                                            settings=conversation.settings,
                                            composer=conversation.composer)
        self._pending = False
        self._worker = threading.Thread(target=self._write, args=(copy, state),
                                        name="composer-autosave", daemon=True)
        self._worker.start()

    def _write(self, conversation: Conversation, state: DraftState) -> None:
        """On the worker thread; the signals reach their receivers on the GUI thread."""
        try:
            self._store.save(conversation, state)
        except OSError as exc:
            self._pending = True
            self.failed.emit(f"{self._store.draft_path}: draft not saved: {exc.strerror or exc}")
            return
        self.saved.emit()

    def wait(self) -> None:
        """Block until a write in progress has finished."""
        if self._worker is not None:
            self._worker.join()

    def stop(self) -> None:
        """No more writes; one in progress is waited for, so nothing lands after this."""
        self._timer.stop()
        self.wait()
