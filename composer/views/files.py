"""The window's own files: the recent-files list and the autosaved draft.

Both live in the user directory (``composer.paths.user_dir()`` unless the window is given one).

The draft is the document being edited, written atomically every few seconds while it has
changes the draft does not hold yet, so a crash loses at most those seconds. Beside it,
``draft-state.json`` records which file the draft belongs to, whether it held unsaved changes,
and whether the session ended cleanly; a draft with unsaved changes from a session that did not
end cleanly is offered for recovery on the next start. The state names the draft it vouches
for (``draft.json`` or ``draft-b.json``, alternating), so that renaming the state is the one
moment a new draft counts: a kill at any point leaves a draft and a state that agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msgspec import Struct
from msgspec.structs import asdict, replace
from PySide6.QtCore import QObject, QTimer, Signal

from composer.models import provenance
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.files import (
    atomic_write_text,
    load_conversation,
    load_shipped_conversation,
    read_json,
    remove_stale_temps,
)
from composer.models.files import save as save_file
from composer.paths import EXAMPLES
from composer.views import memory
from composer.views.holding import Hold

RECENT_LIMIT = 10
DRAFT_SLOTS = ("draft.json", "draft-b.json")
AUTOSAVE_INTERVAL_MS = 3000


def example_path() -> Path:
    """The example conversation shown the first time (benchmarks/make_examples.py makes it)."""
    return EXAMPLES / "conversation.json"


def example_conversation() -> Conversation:
    try:
        return load_shipped_conversation(example_path())
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


class _Writer:
    """The draft state and the recent list are written on one worker, in the order asked:
    each write is fsync'd (~10 ms on a local disk, far more on a slow one or a network home),
    and an Open or a Save must not hold the window for it. While a start's window is not yet
    painted (``held``) the writes wait; until they land, the files say what was there before
    (a kill meanwhile reopens the last session's file, and loses nothing: no draft is written
    before the first edit)."""

    def __init__(self) -> None:
        self._queue: deque[Callable[[], object]] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = False
        self._hold: Hold[Callable[[], object]] = Hold(lambda writes: [*map(self._put, writes)])

    @property
    def held(self):
        return self._hold.held

    def later(self, write: Callable[[], object]) -> None:
        if self._hold.active:
            self._hold.keep(write)
        else:
            self._put(write)

    def _put(self, write: Callable[[], object]) -> None:
        with self._lock:
            self._queue.append(write)
            if self._busy:
                return
            self._busy = True
        # A thread per burst (an Open's two writes), gone when the queue is empty: nothing
        # lingers at exit, and a wait (flush) has a thread to wait for.
        threading.Thread(target=memory.collection_paused(self._drain),
                         name="composer-files").start()

    def _drain(self) -> None:
        while True:
            with self._lock:  # (found empty and not busy in one step: no write is stranded)
                if not self._queue:
                    self._busy = False
                    self._idle.notify_all()
                    return
                write = self._queue.popleft()
            try:
                write()
            except OSError:
                pass  # a user directory that cannot be written: the next write may succeed
            except BaseException:
                with self._lock:  # a flush must not wait for ever on a thread that is gone
                    self._busy = False
                    self._idle.notify_all()
                raise

    def flush(self) -> None:
        """Wait until every write asked for has landed (the end of a session, a reader)."""
        with self._lock:
            self._idle.wait_for(lambda: not self._busy)


_writer = _Writer()
held = _writer.held
flush = _writer.flush


class RecentFiles:
    """Most recent first, at most RECENT_LIMIT, no duplicates; missing files are kept until the
    user tries one (a removable drive may come back)."""

    def __init__(self, user_dir: Path):
        self._path = user_dir / "recent.json"

    def paths(self) -> list[str]:
        flush()  # a change on its way (an Open's, a moment ago) is in the list it reads
        return self._read()[:RECENT_LIMIT]

    def _read(self) -> list[str]:
        data = _read_json(self._path)
        return [p for p in data if isinstance(p, str)] if isinstance(data, list) else []

    def add(self, path: str | os.PathLike[str]) -> None:
        def first(items: list[str]) -> list[str]:
            resolved = str(Path(path).resolve())
            return [resolved] + [p for p in items if p != resolved]

        _writer.later(lambda: self._write(first))

    def remove(self, path: str) -> None:
        _writer.later(lambda: self._write(lambda items: [p for p in items if p != path]))

    def clear(self) -> None:
        _writer.later(lambda: self._write(lambda _items: []))

    def _write(self, change: Callable[[list[str]], list[str]]) -> None:
        """(On the writer.) A recent-files list that cannot be written is not worth an error
        box: the writer drops the OSError."""
        atomic_write_text(self._path,
                          json.dumps(change(self._read())[:RECENT_LIMIT], indent=1) + "\n")


class DraftState(Struct):
    path: str | None = None  # the file the draft belongs to; None = untitled
    modified: bool = False  # the draft holds changes that file does not
    clean_exit: bool = True
    saved_at: float = 0.0
    draft: str = DRAFT_SLOTS[0]  # which of the two draft files this state vouches for
    # A Save in progress: [path, sha256 of the bytes being written]. When that file holds those
    # bytes the save finished and the draft is older than the file: nothing to recover.
    saving: list[str] | None = None
    # The request settings the user set in the window (provenance.FIELDS): a recovered draft
    # keeps them the user's, where a file's would be "from the file".
    chosen: list[str] | None = None
    # The same for ``path`` as this window last saved it (its bytes' sha256): reopened at the
    # next start unchanged, its settings the user chose stay the user's.
    file_chosen: list[str] | None = None
    file_sha256: str | None = None

    def vouched(self, data: bytes) -> tuple[str, list[str]] | None:
        """``data`` as this window last saved ``path`` (it hashes the same): its digest and the
        settings the user had chosen then, which stay the user's (the state is read as data:
        only known field names count). None when ``data`` is not those bytes."""
        if not isinstance(self.file_sha256, str):
            return None
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.file_sha256:
            return None
        return digest, provenance.named_fields(self.file_chosen)


class DraftStore:
    """The draft and its state, written so that a kill at any moment leaves a pair that agrees.

    The draft alternates between two files; each autosave writes the one the state does not
    name, then the state naming it (the commit point), then removes the other. A kill before
    the state lands leaves the previous pair whole; after, the new one. ``write_state`` (the
    window: start, open, save) starts a new epoch, and a draft snapshotted in an older epoch is
    not committed, so a write that was under way during a Save cannot undo it.
    """

    def __init__(self, user_dir: Path):
        self.user_dir = Path(user_dir)
        self.state_path = self.user_dir / "draft-state.json"
        # A crashed session's draft waits here, with its state, until the user decides.
        self.aside_path = self.user_dir / "draft-recovered.json"
        self.aside_state_path = self.user_dir / "draft-recovered-state.json"
        self._lock = threading.Lock()
        self._epoch = 0
        self._unwritten: DraftState | None = None  # the window's latest, on the writer's queue
        on_disk = self.state()
        self._current = on_disk if on_disk.draft in DRAFT_SLOTS else DraftState()

    @property
    def draft_path(self) -> Path:
        """The draft the state names (it may not exist yet)."""
        return self.user_dir / self._current.draft

    @property
    def epoch(self) -> int:
        return self._epoch

    def state(self, path: Path | None = None) -> DraftState:
        """The state on disk, with every write asked before this one landed."""
        flush()
        data = _read_json(path or self.state_path)
        if not isinstance(data, dict):
            return DraftState()
        known = {k: data[k] for k in DraftState.__struct_fields__ if k in data}
        try:
            state = DraftState(**known)
        except TypeError:
            return DraftState()
        if state.draft not in DRAFT_SLOTS:  # never a path a file could point anywhere
            state.draft = DRAFT_SLOTS[0]
        return state

    def write_state(self, state: DraftState, *, if_changed: bool = False) -> None:
        """The window's word on the draft (start, open, save, finish); a new epoch. It is
        written on the writer (``flush`` waits for it); with ``if_changed`` (start, finish) a
        state that tells a reader nothing new is not written (an fsync'd write saved): see
        ``_tells_nothing_new``."""
        with self._lock:
            self._epoch += 1
            state.draft = self._current.draft
            if if_changed and _tells_nothing_new(state, self._current):
                # What the write would have done on its way: a killed write's temp file
                # (its owner dead) goes at the next start.
                _writer.later(lambda: remove_stale_temps(self.state_path.parent))
                return
            if self._unwritten is None:
                _writer.later(self._write_unwritten)
            self._unwritten = state
            self._current = state

    def _put_state(self, state: DraftState) -> None:
        """(Under the lock.) Any state written holds what one left unwritten would say."""
        _write_state(self.state_path, state)
        self._unwritten = None

    def _write_unwritten(self) -> None:
        """(On the writer.) An OSError is dropped there: the next write may succeed."""
        with self._lock:
            if self._unwritten is not None:
                self._put_state(self._unwritten)

    def begin_save(self, path: Path, digest: str) -> None:
        """Before a Save writes bytes hashing to ``digest`` (sha256) to ``path``: if a kill
        lands after the file is written but before the window's next write_state, the draft is
        known to be older."""
        with self._lock:
            self._epoch += 1
            state = replace(self._current, saving=[str(path), digest])
            try:
                self._put_state(state)
            except OSError:
                return  # a user directory that cannot be written must not stop a Save
            self._current = state

    def save(self, conversation: Conversation, state: DraftState,
             epoch: int | None = None) -> int | None:
        """Write the draft and commit it; the characters replaced (see models.files.valid_text).
        None when the snapshot is from an epoch before the current one: it is dropped."""
        state.saved_at = time.time()
        slot = DRAFT_SLOTS[1] if self._current.draft == DRAFT_SLOTS[0] else DRAFT_SLOTS[0]
        replaced = save_file(conversation, self.user_dir / slot, draft=True)  # a piece at a time
        with self._lock:
            if epoch is not None and epoch != self._epoch:
                (self.user_dir / slot).unlink(missing_ok=True)
                return None
            old = self._current.draft
            state.draft = slot
            self._put_state(state)
            self._current = state
        (self.user_dir / old).unlink(missing_ok=True)
        return replaced

    def save_clean(self, state: DraftState, epoch: int | None = None) -> int | None:
        """``save`` when the file holds the document (``state.modified`` False: just opened or
        saved, or undone back to it): no draft to write, only a state saying there is nothing
        to recover, unless the last one says so already (a big file's open is not followed
        by a copy of it). None, as ``save``, for a snapshot from an older epoch."""
        with self._lock:
            if epoch is not None and epoch != self._epoch:
                return None
            state.saved_at = time.time()
            state.draft = self._current.draft
            if not _tells_nothing_new(state, self._current):
                self._put_state(state)
                self._current = state
        return 0

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
        if state.clean_exit or not state.modified:
            return False
        if not (self.user_dir / state.draft).is_file():
            return False
        return not _save_finished(state.saving)

    def set_aside(self) -> tuple[Path, DraftState]:
        """Move a recoverable draft (and its state) aside, so nothing overwrites it. The state
        goes first: a kill between the two leaves the draft in place, recoverable again."""
        state = self.state()
        _write_state(self.aside_state_path, state)
        os.replace(self.user_dir / state.draft, self.aside_path)
        return self.aside_path, state

    def set_aside_draft(self) -> tuple[Path, DraftState] | None:
        """A draft set aside earlier whose question was never answered."""
        if not self.aside_path.is_file():
            return None
        return self.aside_path, self.state(self.aside_state_path)

    def forget_set_aside(self) -> None:
        _remove(self.aside_path, self.aside_state_path)

    def discard(self) -> None:
        """Remove the drafts, and temp files a killed write left in the user directory."""
        _remove(*(self.user_dir / slot for slot in DRAFT_SLOTS))
        remove_stale_temps(self.user_dir)


def _tells_nothing_new(new: DraftState, old: DraftState) -> bool:
    """Whoever reads the state (the next start, the recovery check) would find in ``new``
    what ``old`` already says: the same file, draft and save in progress, and nothing to
    recover in either. A clean end of the session is still always recorded."""
    def to_recover(state: DraftState) -> bool:
        return state.modified and not state.clean_exit

    return (new.path, new.draft, new.saving, new.file_chosen, new.file_sha256) == \
        (old.path, old.draft, old.saving, old.file_chosen, old.file_sha256) \
        and not to_recover(new) and not to_recover(old) \
        and (new.clean_exit == old.clean_exit or not new.clean_exit)


def _remove(*paths: Path) -> None:
    """Remove what exists; a user directory gone bad (not a folder any more) is no error."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _save_finished(saving: list[str] | None) -> bool:
    if not (isinstance(saving, list) and len(saving) == 2):
        return False
    path, digest = saving
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() == digest
    except (OSError, TypeError, ValueError):
        return False


class Autosaver(QObject):
    """Writes the draft on a timer whenever something changed since the last write.

    Serialising and writing (with fsync) run on a worker thread: a conversation holding big
    attachments is tens of megabytes of JSON, and typing must not stall every few seconds. The
    snapshot handed to the worker is a shallow copy; that is safe because document edits
    replace messages and settings, they never change one in place. A write that fails says so
    (``failed``) and is tried again on the next tick until one succeeds (``resumed``).
    """

    saved = Signal()
    failed = Signal(str)
    resumed = Signal()
    _retry = Signal()  # from the worker: start the timer again, on the GUI thread

    def __init__(self, store: DraftStore, snapshot, parent: QObject | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS):
        """``snapshot()`` returns (conversation, DraftState) for the document as it is now."""
        super().__init__(parent)
        self._store = store
        self._snapshot = snapshot
        self._pending = False
        self._failing = False
        self._stopped = False
        self._worker: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._retry.connect(self._start_timer)

    def mark_changed(self) -> None:
        self._pending = True
        self._start_timer()

    def _start_timer(self) -> None:
        if not self._timer.isActive() and not self._stopped:
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._pending

    @property
    def failing(self) -> bool:
        """The last write failed (a retry is scheduled)."""
        return self._failing

    def flush(self) -> None:
        self._timer.stop()
        if not self._pending:
            return
        if self._worker is not None and self._worker.is_alive():
            self._timer.start()  # one write at a time: try again after this one
            return
        conversation, state = self._snapshot()
        if state.modified:
            conversation = conversation.snapshot()  # (it keeps an llm file's unknown keys)
        self._pending = False
        self._worker = threading.Thread(target=memory.collection_paused(self._write),
                                        args=(conversation, state, self._store.epoch),
                                        name="composer-autosave", daemon=True)
        self._worker.start()

    def _write(self, conversation: Conversation, state: DraftState, epoch: int) -> None:
        """On the worker thread; the signals reach their receivers on the GUI thread."""
        try:
            committed = self._store.save(conversation, state, epoch) if state.modified \
                else self._store.save_clean(state, epoch)
        except Exception as exc:  # noqa: BLE001 (any failure must be said and retried)
            self._pending = True
            self._failing = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
                f"{type(exc).__name__}: {exc}"
            self.failed.emit(f"{self._store.draft_path}: draft not saved ({reason}); "
                             "trying again")
            self._retry.emit()
            return
        if committed is None:  # a Save or Open came in between: snapshot the document again
            self._pending = True
            self._retry.emit()
            return
        if self._failing:
            self._failing = False
            self.resumed.emit()
        # Serialising a big conversation peaks at several times its size (its JSON as text,
        # then as bytes); what was freed goes back to the system, here on the worker.
        memory.give_back_freed()
        self.saved.emit()

    def wait(self) -> None:
        """Block until a write in progress has finished."""
        if self._worker is not None:
            self._worker.join()

    def stop(self) -> None:
        """No more writes; one in progress is waited for, so nothing lands after this."""
        self._stopped = True
        self._timer.stop()
        self.wait()
