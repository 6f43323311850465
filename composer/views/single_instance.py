"""One app, many files: a second ``llm-composer FILE`` hands its files to the Composer already
running (QLocalServer/QLocalSocket), which opens each in a new window with its own document,
undo stack and runs; a second ``llm-composer`` with no file gets a new empty window there (as a
process of its own it would take the running one's draft for a crashed session's).

The server's name is derived from the user directory, so each user (and each test's isolated
directory) has its own. The message is one JSON line, ``{"open": ["/abs/path", ...]}``,
answered by ``ok``. A stale name left by a crashed instance is removed and taken over.

QtNetwork loads with the first hand-over or listener, not with this module: the app starts
listening once its first window is painted (app.py), and a start finds no Composer to hand over
to without it when the listener's socket file is not there (on Unix).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QDir, QObject, Signal

from composer import paths
from composer.models import jsontext

MAX_MESSAGE = 1 << 20
CONNECT_MS = 500
ANSWER_MS = 3000


def server_name(user_dir: Path | None = None) -> str:
    where = str((user_dir or paths.user_dir()).resolve())
    return "llm-composer-" + hashlib.sha256(where.encode()).hexdigest()[:16]


def hand_over(files: list[str], user_dir: Path | None = None) -> bool:
    """Give ``files`` to the running Composer (none: it opens a new window); False when none
    is running (or it did not answer), so this process opens them itself."""
    name = server_name(user_dir)
    if os.name == "posix" and not Path(QDir.tempPath(), name).exists():
        return False  # no Composer listens (its socket is that file): QtNetwork need not load
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = json.dumps({"open": [str(Path(f).resolve()) for f in files]}) + "\n"
    socket.write(message.encode("utf-8"))
    if not socket.waitForBytesWritten(ANSWER_MS):
        return False
    answer = b""
    while b"\n" not in answer and socket.waitForReadyRead(ANSWER_MS):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return answer.strip() == b"ok"


def parse_message(data: bytes) -> list[str]:
    """The paths of one message; ValueError for anything else."""
    value, _ = jsontext.loads(data)  # bounded: any local process can write to the socket
    files = value.get("open") if isinstance(value, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise ValueError('expected {"open": [paths]}')
    return files


class Listener(QObject):
    """Listens for other instances; ``files_received`` carries the paths they hand over."""

    files_received = Signal(list)

    def __init__(self, user_dir: Path | None = None, parent: QObject | None = None):
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self.name = server_name(user_dir)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self._sockets: set = set()  # the connections being read (closed with the listener)

    def start(self) -> bool:
        if self.server.listen(self.name):
            return True
        from PySide6.QtNetwork import QLocalServer, QLocalSocket

        # A crashed instance left its name behind (nobody answers it): take it over.
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_MS):
            probe.disconnectFromServer()
            return False  # another instance is alive; this one runs on its own
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        # (A connection accepted just before a close, a second instance's probe, left with its
        # slots connected, was torn down at exit and corrupted the heap.)
        for socket in list(self._sockets):
            self._release(socket)
            socket.abort()
        self.server.close()

    def _release(self, socket) -> None:
        """``socket``'s Python slots (which hold it) let go before it is deleted: deleted with
        them still connected, a connection that ended (a second instance's start probes so)
        followed by a close of the window segfaulted."""
        if socket in self._sockets:
            self._sockets.discard(socket)
            socket.readyRead.disconnect()
            socket.disconnected.disconnect()
            socket.deleteLater()

    def _on_connection(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            buffer = bytearray()

            def ready(s=socket, buf=buffer) -> None:
                buf += bytes(s.readAll().data())
                if len(buf) > MAX_MESSAGE:
                    s.abort()
                    return
                if b"\n" not in buf:
                    return
                try:
                    files = parse_message(bytes(buf).split(b"\n", 1)[0])
                except (ValueError, UnicodeDecodeError):
                    s.write(b"error\n")
                    s.disconnectFromServer()
                    return
                s.write(b"ok\n")
                s.flush()
                s.disconnectFromServer()
                self.files_received.emit(files)

            self._sockets.add(socket)
            socket.readyRead.connect(ready)
            socket.disconnected.connect(lambda s=socket: self._release(s))


class Windows(QObject):
    """The app's windows: the first, then one per file handed over. ``all_closed`` is set when
    the last one closes. Later windows keep their drafts in their own folder
    (``windows/N`` in the user directory), so two windows never overwrite each other's draft;
    recent files and preferences stay shared."""

    def __init__(self, http_client=None, user_dir: Path | None = None,
                 parent: QObject | None = None):
        import asyncio

        super().__init__(parent)
        self.http_client = http_client
        self.user_dir = user_dir or paths.user_dir()
        self.open: list = []
        self.all_closed = asyncio.Event()
        self._quitting = None  # the window whose unsaved-changes question a Quit waits on

    def use_client(self, http_client) -> None:
        """The HTTP client for every window, open or to come (it is made after the first
        window is painted)."""
        self.http_client = http_client
        for window in self.open:
            window.use_client(http_client)

    def adopt(self, window) -> None:
        self.open.append(window)
        window.closed.connect(lambda w=window: self._on_closed(w))
        window.open_conversation_window = self.open_conversation
        window.quit_app = self.quit

    def quit(self) -> None:
        """Close every window in turn. One with unsaved changes asks first: the others follow
        once it has closed, and its Cancel ends the quit there."""
        from composer.views.dialogs import open_boxes

        for window in list(self.open):
            if window.close():
                continue
            self._quitting = window
            window.raise_()  # the window that asks in front, its question above it
            for box in open_boxes(window):  # answered and not closed: the quit is over
                box.raise_()
                box.activateWindow()
                box.finished.connect(lambda _r, w=window: self._quit_answered(w))
            return

    def _quit_answered(self, window) -> None:
        if self._quitting is window and window in self.open:
            self._quitting = None

    def open_conversation(self, conversation):
        """A new window on ``conversation``, unsaved (a promoted branch)."""
        from composer.models.document import Document

        window = self._window(self._slot(), Document(conversation))
        window.undo_stack.resetClean()
        window.raise_()
        window.activateWindow()
        return window

    def _on_closed(self, window) -> None:
        if window in self.open:
            self.open.remove(window)
        if self._quitting is window:
            self._quitting = None
            self.quit()  # the windows after it
        if not self.open:
            self.all_closed.set()

    def _in_use(self, folder: Path) -> bool:
        from composer.views.files import DraftStore

        if any(Path(w.user_dir) == folder for w in self.open):
            return True
        drafts = DraftStore(folder)
        # A crashed window's draft waits there for recovery: nothing may write over it.
        return drafts.recoverable() or drafts.aside_path.exists()

    def _slot(self) -> Path:
        n = 1
        while self._in_use(self.user_dir / "windows" / str(n)):
            n += 1
        return self.user_dir / "windows" / str(n)

    def _window(self, folder: Path, document=None):
        from composer.preferences import Preferences
        from composer.views import shortcuts
        from composer.views.files import RecentFiles
        from composer.views.window import MainWindow

        window = MainWindow(document, user_dir=folder, http_client=self.http_client)
        window.shared_user_dir = self.user_dir  # where its keys and lists are kept
        window.recent = RecentFiles(self.user_dir)
        window.preferences = Preferences.load(self.user_dir)
        window._apply_preferences()
        shortcuts.apply(window, shortcuts.load_overrides(self.user_dir))
        self.adopt(window)
        window.show()
        return window

    def open_files(self, files: list[str]) -> list:
        made = []
        for path in files:
            window = self._new_window()
            window.open_path(path)  # a file that cannot be read says so in that window
            made.append(window)
        return made

    def handed_over(self, files: list[str]) -> list:
        """What another instance handed over: its files, each in a window, or (a start with no
        file) one new empty window."""
        return self.open_files(files) if files else [self._new_window()]

    def _new_window(self):
        from composer.models.conversation import Conversation
        from composer.models.document import Document

        window = self._window(self._slot(), Document(Conversation()))
        window.raise_()
        window.activateWindow()
        return window

    def recover_orphans(self) -> list:
        """A window per later window that crashed with unsaved changes, asking to recover them
        (the first window asks for its own)."""
        from composer.views.files import DraftStore

        made = []
        folder = self.user_dir / "windows"
        for slot in sorted(folder.iterdir() if folder.is_dir() else [], key=lambda p: p.name):
            if any(Path(w.user_dir) == slot for w in self.open):
                continue
            drafts = DraftStore(slot)
            if slot.is_dir() and drafts.recoverable():
                window = self._window(slot)  # sets the draft aside, then asks
                window.offer_recovery()
                made.append(window)
        return made
