"""Fixtures for the Qt view tests: a qasync loop over pytest-qt's QApplication, strict checks.

pytest-qt has no asyncio integration. One ``qasync.QEventLoop`` is made for the session in
"already running" mode, so coroutines started by ``@asyncSlot`` methods advance whenever Qt
processes events (``qtbot.waitUntil``/``waitSignal``). It is marked as the running loop only
for the length of each view test, so pytest-asyncio's own loops in other tests are unaffected.
A test that leaves tasks running fails.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import shiboken6

# Import PySide6 before qasync: qasync binds to the first Qt binding it finds. A missing
# PySide6 must fail the suite, not skip it.
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication  # also imported for qasync's binding

# isort: split
import qasync

from composer.views.qt_start import plain_imports

plain_imports()  # as the app does once PySide6 is loaded; now, before the view tests are imported

_LOOP: qasync.QEventLoop | None = None


def pytest_sessionfinish(session) -> None:
    """Rows a test copied are held, on the offscreen platform, by a static Qt destroys after
    Python has gone: destroying their Python-made QMimeData then crashed the run at exit."""
    app = QApplication.instance()
    if app is not None:
        app.clipboard().clear()


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """Delete what the test closed, before the next test. pytest-qt closes the widgets a test
    gave it and asks for their deletion (``deleteLater``), but a deletion asked for outside any
    event loop waits for a loop to run, and ``processEvents`` is none: the windows of a run of
    tests stayed alive, hidden, until some later test happened to run one (over 200 top-level
    widgets and 2,900 widgets at times). Torn down after every other fixture of the test, so
    after pytest-qt's closing and the window fixture's own teardown."""
    yield
    if QApplication.instance() is not None:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def qloop(qapp):
    """The qasync loop, running (from asyncio's point of view) for this test."""
    global _LOOP
    if _LOOP is None:
        _LOOP = qasync.QEventLoop(qapp, already_running=True)
        _LOOP.set_default_executor(ThreadPoolExecutor())  # as composer.views.app.make_loop
        asyncio.events._set_running_loop(None)
    loop = _LOOP
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        # Let finished tasks settle, then nothing may still be running.
        qapp.processEvents()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        qapp.processEvents()
        assert not pending, f"test left tasks running: {pending}"
    finally:
        asyncio.events._set_running_loop(None)


def make_png(path, size: int = 4):
    """A tiny real PNG written by Qt."""
    from PySide6.QtGui import QColor, QImage

    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    assert image.save(str(path), "PNG")
    return path


def make_pdf(path):
    """A tiny real one-page PDF written by Qt's PDF writer."""
    from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    painter = QPainter(writer)
    painter.drawText(100, 100, "Composer test page")
    painter.end()
    return path


# A Qt warning in a view test is a bug, except these reviewed ones from the offscreen platform.
QT_LOG_IGNORE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
    r"QFont::setPointSizeF: Point size <= 0",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/views/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


@pytest.fixture
def user_dir(tmp_path):
    """The window's own folder (settings, draft, recent files) in a test."""
    return tmp_path / "user"


@pytest.fixture
def make_window(qtbot, qloop, user_dir):
    """The one way a view test makes a window: ``make(content=None, user_dir=..., **kw)`` shows
    a MainWindow over a Conversation or a Document (None: the start page), in ``user_dir``
    unless another is given. Runs are fast (replays at full speed) and cancelled at teardown;
    the draft writer is stopped; teardown never stops on an unsaved-changes box or a question."""
    from composer.models import pricing
    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.views import dialogs
    from composer.views.window import MainWindow

    made = []

    def wind_down(window) -> None:
        """Before pytest-qt closes the window: the run cancelled, the draft writer and the count
        stopped, the boxes a test left open closed, and the close confirmed, so closing is the
        window's own close (its session finished), never an unsaved-changes box to build."""
        window.run_ui.shutdown()
        qtbot.waitUntil(lambda: window.run_ui.task is None or window.run_ui.task.done(),
                        timeout=3000)
        window._close_confirmed = True
        if not shiboken6.isValid(window) or not shiboken6.isValid(window.autosaver):
            return  # a window the test closed is gone
        window.autosaver.stop()
        window.token_count.shutdown()
        for box in dialogs.open_boxes(window):
            box.close()

    def make(content=None, **kw):
        document = Document(content) if isinstance(content, Conversation) else content
        count = kw.pop("count_tokens", False)  # off unless a test is about the count
        if not count:  # the count loads the price table off the GUI thread at start; without
            pricing.warm()  # it a run's cost shows only once the table is loaded in a thread
        window = MainWindow(document, user_dir=kw.pop("user_dir", None) or user_dir, **kw)
        window.token_count.enabled = count
        window.run_ui.call_config.replay_speed = 0
        window.run_ui.call_config.backoff_base = 0.01
        qtbot.addWidget(window, before_close_func=wind_down)
        window.show()
        made.append(window)
        return window

    yield make  # (``made`` keeps each window for pytest-qt's closing, which winds it down)


@pytest.fixture
def short_debounces(monkeypatch):
    """The window's debounces short (the request preview's and the variables' 300 ms to 50, the
    token count's 600 to 100), for the tests that wait for what they refresh: a test's edits
    come faster than any of them, and its waits are for what the refresh shows. Use it with
    ``pytestmark = pytest.mark.usefixtures("short_debounces")``."""
    from composer.views import inspector, token_count, variables_panel

    monkeypatch.setattr(inspector, "DEBOUNCE_MS", 50)
    monkeypatch.setattr(variables_panel, "SETTLE_MS", 50)
    monkeypatch.setattr(token_count, "DEBOUNCE_MS", 100)


@pytest.fixture
def run_window(make_window):
    """The same window maker, by the name the run tests use."""
    return make_window
