"""Attachments linked by path, in the window: one question listing every path outside the
file's folder before anything is read; "linked, not loaded" on the chip and in the preview
until read; Send refuses them (the loopback server never sees the bytes); devices and FIFOs are
refused off the GUI thread. Real widgets, real files, a real FIFO."""

from __future__ import annotations

import base64
import os
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import AttachmentPart, Message, TextPart
from composer.models.settings import RequestSettings
from composer.views.dialogs import open_boxes
from composer.views.table.delegates import chip_layout
from composer.views.table.model import ATTACHMENTS_COLUMN, MessageRole
from tests.views.checks import wait_checked

Button = QMessageBox.StandardButton
SECRET = b"SECRET-CANARY-window-3b1e\n"
INSIDE = b"inside the folder\n"


def shared_file(folder, url: str, *paths: str):
    conv = Conversation(
        messages=[Message(role="user", parts=[
            TextPart(text="look"),
            *[AttachmentPart(attachment=Attachment(type="text/plain", path=p)) for p in paths]])],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-5",
                                 base_url=url, options={"max_tokens": 64}))
    target = folder / "shared.json"
    save(conv, target)
    return target


@pytest.fixture
def layout(tmp_path):
    """A home with a secret, and a downloads folder holding a shared conversation's file."""
    (tmp_path / "home").mkdir()
    secret = tmp_path / "home" / "id_rsa"
    secret.write_bytes(SECRET)
    shared = tmp_path / "downloads"
    shared.mkdir()
    (shared / "notes.txt").write_bytes(INSIDE)
    return secret, shared


def attachments(window):
    return window.document.message(0).attachments


def chip_labels(window) -> list[str]:
    table = window.table
    index = table.model().index(0, ATTACHMENTS_COLUMN)
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    return [c.label for c in chip_layout(index.data(MessageRole), option.rect, option)]


def question(qtbot, window) -> QMessageBox:
    qtbot.waitUntil(lambda: len(open_boxes(window)) == 1, timeout=5000)
    return open_boxes(window)[0]


def leaked(received) -> bool:
    body = b"".join(r.body for r in received)
    return SECRET.strip() in body or base64.b64encode(SECRET)[:20] in body


def test_one_question_lists_every_outside_path_before_anything_is_read(
        qtbot, run_window, layout, loopback, monkeypatch):
    secret, shared = layout
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    other = secret.parent / "config"
    other.write_bytes(b"more")
    path = shared_file(shared, loopback.url, "notes.txt", str(secret), "../home/config")
    window = run_window()
    window.open_path(path)

    box = question(qtbot, window)
    detail = box.informativeText()
    assert str(secret) in detail and str(other) in detail and "notes.txt" not in detail
    # Nothing is read while the question is open, not even the file inside the folder.
    assert all(a.linked for a in attachments(window))
    assert all(label.endswith("linked, not loaded") for label in chip_labels(window))
    window.detail.show_row(0)
    previews = [s.preview for s in window.detail.sections if getattr(s, "preview", None)]
    assert [p.kind for p in previews] == ["linked"] * 3

    with qtbot.waitSignal(window.linked_files.finished, timeout=5000):
        qtbot.mouseClick(box.button(Button.No), Qt.MouseButton.LeftButton)
    inside, outside, outside2 = attachments(window)
    assert inside.data() == INSIDE and outside.linked and outside2.linked
    labels = chip_labels(window)
    assert "linked" not in labels[0] and labels[1].endswith("linked, not loaded")
    qtbot.waitUntil(lambda: [s.preview.kind for s in window.detail.sections
                             if getattr(s, "preview", None)] == ["text", "linked", "linked"])

    # Send refuses, naming the row; nothing reaches the server.
    window.run_ui.send()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.task is None
    assert "row 1" in window.status_state.text() and "id_rsa" in window.status_state.text()
    assert loopback.received == []


def test_allowing_reads_them_off_the_gui_thread_and_send_uploads_them(
        qtbot, run_window, layout, loopback, monkeypatch):
    secret, shared = layout
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    path = shared_file(shared, loopback.url, str(secret))
    window = run_window()
    window.open_path(path)
    box = question(qtbot, window)
    with qtbot.waitSignal(window.linked_files.finished, timeout=5000):
        qtbot.mouseClick(box.button(Button.Yes), Qt.MouseButton.LeftButton)
    assert attachments(window)[0].data() == SECRET
    # The file's base URL asks before the key is spent; the user says yes to that too.
    window.run_ui.send()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.task is None
    (key_box,) = [b for b in open_boxes(window) if b.checkBox() is not None]
    qtbot.mouseClick(key_box.button(Button.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.run_ui.state in ("done", "error"), timeout=10000)
    assert leaked(loopback.received)
    # Saving keeps the path, as the file had it: what was read is not written into the file.
    window.save_to(path)
    assert base64.b64encode(SECRET).decode()[:20] not in path.read_text()


def test_the_preview_button_loads_one_file_the_user_allows(qtbot, run_window, layout, loopback):
    secret, shared = layout
    window = run_window()
    window.open_path(shared_file(shared, loopback.url, str(secret)))
    box = question(qtbot, window)
    with qtbot.waitSignal(window.linked_files.finished, timeout=5000):
        qtbot.mouseClick(box.button(Button.No), Qt.MouseButton.LeftButton)
    window.detail.show_row(0)
    preview = window.detail.sections[1].preview
    assert preview.kind == "linked"
    with qtbot.waitSignal(window.linked_files.finished, timeout=5000):
        qtbot.mouseClick(preview.load_button, Qt.MouseButton.LeftButton)
    assert attachments(window)[0].data() == SECRET
    qtbot.waitUntil(lambda: window.detail.sections[1].preview.kind == "text")
    assert "SECRET-CANARY" in window.detail.sections[1].preview.excerpt.toPlainText()


def test_the_next_start_asks_again_instead_of_reading(qtbot, make_window, layout,
                                                      loopback):
    secret, shared = layout
    path = shared_file(shared, loopback.url, str(secret))
    first = make_window()
    first.open_path(path)
    box = question(qtbot, first)
    qtbot.mouseClick(box.button(Button.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not attachments(first)[0].linked, timeout=5000)
    with qtbot.waitSignal(first.closed):
        first.close()
    second = make_window()
    assert second.file_path == path
    question(qtbot, second)
    assert attachments(second)[0].linked


def test_a_fifo_and_dev_zero_are_refused_without_blocking_the_window(
        qtbot, run_window, tmp_path, loopback):
    """Before, the preview opened the FIFO on the GUI thread (blocked until a writer came) and
    read /dev/zero without end. A writer releases the FIFO after 8 s so a failure ends."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    release = threading.Timer(8.0, lambda: os.close(os.open(fifo, os.O_WRONLY)))
    release.daemon = True
    release.start()
    try:
        path = shared_file(tmp_path, loopback.url, str(fifo), "/dev/zero")
        window = run_window()
        started = time.monotonic()
        window.open_path(path)
        window.detail.show_row(0)
        box = question(qtbot, window)
        assert time.monotonic() - started < 4, "the GUI thread was blocked"
        assert "/dev/zero" in box.informativeText()
        with qtbot.waitSignal(window.linked_files.finished, timeout=5000) as done:
            qtbot.mouseClick(box.button(Button.Yes), Qt.MouseButton.LeftButton)
        assert time.monotonic() - started < 6
        problems = done.args[0]
        assert len(problems) == 2
        assert "pipe: a FIFO (named pipe), not a regular file" in problems[0]
        assert "/dev/zero: a device, not a regular file" in problems[1]
        report = question(qtbot, window)
        assert "not a regular file" in report.informativeText()
        qtbot.mouseClick(report.button(Button.Ok), Qt.MouseButton.LeftButton)
        assert all(a.linked for a in attachments(window))
        window.run_ui.send()
        wait_checked(qtbot, window.run_ui)
        assert window.run_ui.task is None and loopback.received == []
    finally:
        release.cancel()
        try:  # a writer that never came would leave the timer's thread blocked
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass


def test_files_the_user_attaches_are_read_as_before(qtbot, run_window, tmp_path):
    """A file the user picks in the window is their choice: attached and readable at once,
    even when only its path is kept (Preferences: do not embed)."""
    mine = tmp_path / "elsewhere" / "mine.txt"
    mine.parent.mkdir()
    mine.write_bytes(b"my own file")
    window = run_window(Conversation(messages=[Message.text("user", "hi")]))
    window.table.loader.embed = False
    with qtbot.waitSignal(window.table.loader.finished, timeout=5000):
        window.table.loader.add_files([str(mine)], row=0)
    att = attachments(window)[0]
    assert att.content is None and att.path == str(mine) and att.data() == b"my own file"
    assert chip_labels(window) == ["Text · mine.txt · 11 B"]
    assert not open_boxes(window)


def test_a_dropped_fifo_or_device_is_refused_at_once(qtbot, run_window, tmp_path):
    """Before, a FIFO the user attached blocked a worker for ever and /dev/zero was read
    without end; now both are one clear line, before any read."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    release = threading.Timer(6.0, lambda: os.close(os.open(fifo, os.O_WRONLY)))
    release.daemon = True
    release.start()
    try:
        window = run_window(Conversation(messages=[Message.text("user", "hi")]))
        loader = window.table.loader
        loader.show_messages = False
        for special in (str(fifo), "/dev/zero"):
            with qtbot.waitSignal(loader.failed, timeout=3000) as failed:
                loader.add_files([special], row=0)
            assert failed.args[0].startswith(special) and "not a regular file" in failed.args[0]
        assert attachments(window) == []
    finally:
        release.cancel()
        try:
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass


def test_an_opened_document_is_looked_through_for_links_on_a_worker(
        qtbot, run_window, layout, monkeypatch):
    """Every part of every row is looked at: at 10,000 messages that walk held the open's
    event ~12 ms on the window's thread."""
    from composer.models import linked

    _secret, shared = layout
    walks = []
    real = linked._attachments

    def walk(conversation):
        walks.append(threading.current_thread() is threading.main_thread())
        return real(conversation)

    window = run_window()
    monkeypatch.setattr(linked, "_attachments", walk)
    path = shared_file(shared, "https://api.anthropic.com", "notes.txt")
    with qtbot.waitSignal(window.linked_files.finished, timeout=5000):
        window.open_path(path)
    assert walks == [False]
    assert attachments(window)[0].data() == INSIDE
