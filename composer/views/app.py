"""The window verbs: ``open`` (also no verb) and ``screenshot``; the QApplication and qasync loop.

This module is imported by ``composer.main.build_parser()`` to define arguments, so it imports
no Qt at module level: PySide6 and qasync load inside ``run()`` and the helpers below.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from pathlib import Path

DEFAULT_SCREENSHOT_SIZE = (1280, 800)


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    if verb == "screenshot":
        parser.add_argument("out", metavar="OUT.png", help="where to write the PNG")
        parser.add_argument("file", metavar="FILE", nargs="?",
                            help="a conversation or exchange file (default: the example)")
        parser.add_argument("--size", default="x".join(map(str, DEFAULT_SCREENSHOT_SIZE)),
                            metavar="WxH", help="window size in pixels (default: %(default)s)")
        parser.add_argument("--row", type=int, metavar="N",
                            help="select row N (from 1), so the detail editor shows it")
    else:
        parser.add_argument("files", metavar="FILE", nargs="*",
                            help="conversation or exchange files to open")


def run(args: argparse.Namespace, verb: str) -> int:
    if verb == "screenshot":
        if _needs_offscreen():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        _quiet_offscreen_notes()
        return screenshot(args.out, args.file, args.size, args.row)
    return open_window(getattr(args, "files", None) or [])


def _needs_offscreen() -> bool:
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Qt takes the GIL each time it calls into Python (every overridden virtual, every slot): a
# repaint takes it dozens of times. While a worker runs Python (a Send's checks and body, the
# count, the draft), each take waits until the worker is asked to let go, by default after
# 5 ms: a repaint of the 10,000-message window then waited 100-400 ms in all. At 1 ms the
# window's waits shrink fivefold, and a worker alone is never interrupted.
GIL_SWITCH_S = 0.001


def create_app(argv: list[str] | None = None):
    """The QApplication (made once), named, with the theme that follows the system."""
    from PySide6.QtWidgets import QApplication

    from composer.views.qt_start import plain_imports

    plain_imports()  # before the window's modules are imported

    from composer import APP_ID, __version__
    from composer.views.icon import app_icon
    from composer.views.theme import Theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    sys.setswitchinterval(GIL_SWITCH_S)
    app.setApplicationName("Composer")
    app.setOrganizationName("llm-composer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)  # Wayland matches the window to the launcher entry by it
    app.setWindowIcon(app_icon())
    if not hasattr(app, "composer_theme"):
        app.composer_theme = Theme(app)
    return app


def make_loop(app):
    """A qasync loop over ``app`` (import PySide6 first: qasync binds to the first Qt it sees)."""
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    import qasync

    from composer.providers import threads
    from composer.views import memory

    class Executor(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # (called on the loop's thread)
            return super().submit(memory.collection_paused(partial(fn, *args, **kwargs)))

    loop = qasync.QEventLoop(app)
    # asyncio's own blocking calls (getaddrinfo, before each new connection) on plain threads:
    # qasync's own executor is QThreads, which Qt reports as "destroyed while running" at exit.
    # No garbage is collected on those threads, nor on in_thread's (memory.collection_paused),
    # which runs Composer's own blocking work.
    loop.set_default_executor(Executor(thread_name_prefix="composer"))
    threads.thread_body = memory.collection_paused
    return loop


def wait_for_first_paint(window, limit: float = 1.0) -> None:
    """Run Qt's own event loop until ``window`` has been painted once (at most ``limit`` seconds:
    a window the system keeps hidden is never painted). The asyncio loop starts after it: asyncio
    and qasync (about a twentieth of a cold start, most of it the ssl module asyncio imports)
    are not needed to show the window."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    waiting = QEventLoop()
    painted, limited = QTimer(), QTimer()  # stopped below: no call outlives the wait
    for timer, ms in ((painted, 0), (limited, round(limit * 1000))):
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(waiting.quit)

    class Watch(QObject):
        def eventFilter(self, _watched, event) -> bool:  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint:
                painted.start()  # the wait ends once this paint is done
            return False

    watch = Watch()
    window.installEventFilter(watch)
    limited.start()
    try:
        waiting.exec()
    finally:
        window.removeEventFilter(watch)
        painted.stop()
        limited.stop()


def import_answering(name: str) -> None:
    """Import ``name``, a module of Python's own (nothing of Composer's: see providers/tls.py),
    on a worker while Qt's loop keeps the window painting. asyncio's import is the first thing
    after the first paint, before any loop of ours turns: ~25-40 ms of the window's thread.
    Input waits for the app's loop (a key or click now could start a Send with none to run
    it): it is held, not lost. A thread of its own, not run_off_thread's shared pool: the
    keychain's first question goes there at the same moment and may wait on the user."""
    import importlib
    import threading

    from PySide6.QtCore import QEventLoop, QTimer

    done, failed = threading.Event(), []

    def work() -> None:
        try:
            importlib.import_module(name)
        except BaseException as error:  # raised again on the window's thread, below
            failed.append(error)
        finally:
            done.set()

    threading.Thread(target=work, name=f"composer-import-{name}", daemon=True).start()
    waiting, poll = QEventLoop(), QTimer()
    poll.setInterval(1)
    poll.timeout.connect(lambda: done.is_set() and waiting.quit())
    poll.start()
    try:
        if not done.is_set():
            waiting.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    finally:
        poll.stop()
    if failed:
        raise failed[0]


def _loop_exception_handler(loop, context) -> None:
    # A failed task must not vanish into a log line nobody reads.
    message = context.get("message", "unhandled error")
    exc = context.get("exception")
    text = f"{message}: {type(exc).__name__}: {exc}" if exc else message
    print(f"llm-composer: {text}", file=sys.stderr)


def open_window(files: list[str] | str | None = None) -> int:
    """Open the main window on the qasync loop until the last window is closed. With FILEs and
    a Composer already running, hand them to it instead (a new window there for each)."""
    if isinstance(files, str):
        files = [files]
    files = list(files or [])
    if _needs_offscreen():
        # Qt would abort with a page about platform plugins; say what is wrong in one line.
        print("llm-composer: error: no display to open the window on (DISPLAY and "
              "WAYLAND_DISPLAY are unset); `llm-composer screenshot OUT.png [FILE]` renders "
              "it offscreen", file=sys.stderr)
        return 1
    # Importing the window's modules leaves some 35,000 objects in reference cycles (type and
    # model construction), and the collector would walk the heap a dozen times before the
    # first paint (about a tenth of the start); it runs again once the window is on screen.
    gc.disable()
    try:
        return _open_window(files)
    finally:
        gc.enable()


def _open_window(files: list[str]) -> int:
    app = create_app()
    app.setQuitOnLastWindowClosed(False)  # the last close event ends the loop, below

    from composer.views import single_instance

    if single_instance.hand_over(files):
        print(f"llm-composer: opened in the running Composer: {', '.join(files)}" if files
              else "llm-composer: opened a new window in the running Composer")
        return 0

    from composer.views import files as window_files
    from composer.views import keychain
    from composer.views.window import MainWindow

    # The keychain is asked once the window is painted, not before or beside it; the draft
    # state and the recent list are written then.
    with keychain.held(), window_files.held():
        window = MainWindow(reopen=not files)  # a FILE replaces the last file unread
        window.show()
        if files:
            window.open_path(files[0])  # before the first paint: no other document flashes
        wait_for_first_paint(window)
    # What the start made (modules, classes, the window) lives as long as the app: out of the
    # collector's reach, the collections due next walk only what is new (the first two walked
    # every object of the start, ~25 ms; the first stream would freeze them anyway).
    gc.freeze()
    gc.enable()
    import_answering("asyncio")
    import asyncio

    from composer.providers.threads import in_thread
    from composer.views import stepwise

    async def main() -> int:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_loop_exception_handler)
        windows = single_instance.Windows()
        windows.adopt(window)
        if window.isHidden():  # closed before its first paint was over
            return 0
        # Other instances hand their files over from now on (QtNetwork loads here).
        listener = single_instance.Listener()
        listener.files_received.connect(windows.handed_over)
        listener.start()
        # The network stack (httpx, the TLS certificates) loads once the window is on screen,
        # on a worker: the window answers meanwhile (a send before it is done makes its own
        # client).
        await in_thread(load_network)
        # What the first count and Send import, a module per turn (not ~50 ms in one).
        await stepwise.import_stepwise()
        import httpx

        from composer.providers.http import new_client

        timeout = httpx.Timeout(connect=10.0, read=300.0, write=60.0, pool=10.0)
        async with new_client(timeout=timeout, follow_redirects=True) as client:
            windows.use_client(client)
            from composer.views.results import markdown

            def warm_up() -> None:  # one after the other: their imports never cross
                markdown.warm_up()
                stepwise.build_validators()

            warm = asyncio.ensure_future(in_thread(warm_up))
            if files:
                windows.open_files(files[1:])
            else:
                window.choose_first_provider()
            window.offer_recovery()
            windows.recover_orphans()
            await windows.all_closed.wait()
            listener.close()
            await warm
        return 0

    with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:
        return runner.run(main())


def load_network() -> None:
    """httpx and the certificates, and httpcore, which httpx imports when the first client is
    made, and anyio's asyncio backend and streams, which the first request imports (the
    connection pool's locks: ~35 ms on the window's thread at the first Send). Nothing of
    Composer's is imported here (see providers/tls.py)."""
    import contextlib
    import importlib

    import anyio.streams.tls  # noqa: F401
    import httpcore  # noqa: F401

    from composer.providers.tls import tls_context

    with contextlib.suppress(ImportError):  # (anyio's own module: its name could change)
        importlib.import_module("anyio._backends._asyncio")
    tls_context()


def _parse_size(size: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 1280x800") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise ValueError(f"--size {size!r}: width and height must be 200..8000")
    return w, h


def _quiet_offscreen_notes() -> None:
    """The offscreen platform reports features it lacks on every window; not our problem."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind, _context, message: str) -> None:
        if "This plugin does not support" not in message:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)
    if previous is not None:  # someone (a test harness) is already listening: leave theirs
        qInstallMessageHandler(previous)


def screenshot(out: str, file: str | None = None, size: str = "1280x800",
               row: int | None = None) -> int:
    """Render the window with FILE open, offscreen when there is no display; print the path."""
    try:
        width, height = _parse_size(size)
    except ValueError as exc:
        print(f"llm-composer screenshot: {exc}", file=sys.stderr)
        return 2
    if _needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = create_app()

    from PySide6.QtCore import QEventLoop, QThreadPool, QTimer

    from composer.models.document import Document
    from composer.models.errors import FormatError
    from composer.models.exchange import Exchange
    from composer.models.opening import open_document
    from composer.views.files import example_path
    from composer.views.window import MainWindow

    source = file or str(example_path())
    try:
        doc, foreign = open_document(source)
    except FormatError as exc:
        print(f"llm-composer screenshot: {exc.one_line()}", file=sys.stderr)
        return 1
    # A throwaway user directory: a screenshot must not touch the user's draft or recent files.
    with tempfile.TemporaryDirectory(prefix="composer-shot-") as scratch:
        conversation = doc.conversation() if isinstance(doc, Exchange) else doc
        window = MainWindow(Document(conversation), user_dir=scratch)
        # No count: it would ask the provider over the network, on an asyncio loop a
        # screenshot does not run (on a slow machine its debounce ran out before the grab).
        window.token_count.enabled = False
        if isinstance(doc, Exchange):  # an exchange's reply shows in the results pane
            window.run_ui.show_exchange(doc, Path(source).name)
        window.file_path = Path(source) if file and not foreign else None
        if foreign:  # as the window shows an imported file: named after it, unsaved
            window._title_note = f"(imported from {Path(source).name})"
            window._foreign_name = Path(source).stem
        window._update_title()
        window.resize(width, height)
        if row is not None and 1 <= row <= len(conversation.messages):
            window.table.select_rows([row - 1], current=row - 1)
        window.show()
        # The keychain answers (on a worker, for the key note) before the grab, whatever its
        # pace; then layout, fonts and the first paint settle.
        QThreadPool.globalInstance().waitForDone(10_000)
        for _ in range(3):
            app.processEvents()
            wait = QEventLoop()
            QTimer.singleShot(50, wait.quit)
            wait.exec()
        pixmap = window.grab()
        window._close_confirmed = True
        window.close()
        window.deleteLater()
        app.processEvents()
    target = Path(out)
    if target.parent and not target.parent.exists():
        print(f"llm-composer screenshot: {target.parent}: no such directory", file=sys.stderr)
        return 1
    if not pixmap.save(str(target), "PNG"):
        print(f"llm-composer screenshot: {target}: could not write the PNG", file=sys.stderr)
        return 1
    print(target)
    return 0
