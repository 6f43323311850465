"""One app, many files: a second ``llm-composer FILE`` hands the file to the running instance,
which opens it in a new window with its own document, undo stack and runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtWidgets import QMessageBox

from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.views import single_instance

ROOT = Path(__file__).resolve().parent.parent.parent


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    save(Conversation(messages=[Message.text("user", text)],
                      settings=RequestSettings(provider="replay")), path)
    return path


def _second_instance(*files: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "composer", *map(str, files)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def running(qtbot, qloop, run_window, tmp_path):
    """The first instance: a window, the window set and the listener."""
    first = run_window()
    windows = single_instance.Windows()
    windows.adopt(first)
    listener = single_instance.Listener()
    assert listener.start()
    listener.files_received.connect(windows.handed_over)
    yield first, windows
    listener.close()
    for window in list(windows.open):
        if window is first:
            continue
        window.run_ui.shutdown()
        window._close_confirmed = True
        window.close()
        window.deleteLater()  # the windows the test opened go with it, as run_window's do


def test_a_second_start_with_no_file_opens_a_new_window_in_the_running_one(qtbot, running):
    """As a process of its own it would read the running window's draft as a crashed session's
    and offer to recover it (seen under Xvfb), and both would write one draft."""
    first, windows = running
    first.table.add_row()  # unsaved changes in the running window
    proc = _second_instance()
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "opened a new window in the running Composer" in out
    qtbot.waitUntil(lambda: len(windows.open) == 2, timeout=5000)
    new = windows.open[1]
    assert len(new.document) == 0 and new.file_path is None
    assert Path(new.user_dir) != Path(first.user_dir)  # its draft apart from the first's
    assert first.undo_stack.count() == 1


def test_a_second_instance_hands_its_files_over_and_each_opens_in_its_own_window(
        qtbot, running, tmp_path):
    first, windows = running
    a = _file(tmp_path, "a.json", "first file")
    b = _file(tmp_path, "b.json", "second file")
    proc = _second_instance(a, b)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "opened in the running Composer" in out
    qtbot.waitUntil(lambda: len(windows.open) == 3, timeout=5000)
    _, wa, wb = windows.open
    assert wa.file_path == a and wb.file_path == b
    assert wa.document.conversation.messages[0].plain_text == "first file"
    assert wb.document is not wa.document is not first.document
    assert wb.undo_stack is not wa.undo_stack is not first.undo_stack
    assert wb.run_ui is not wa.run_ui
    # Each window keeps its draft apart: closing one never discards another's.
    assert len({Path(w.user_dir) for w in windows.open}) == 3
    wa.table.add_row()
    assert wa.undo_stack.count() == 1 and wb.undo_stack.count() == 0
    assert first.undo_stack.count() == 0


def test_without_a_running_instance_nothing_is_handed_over(qapp, tmp_path):
    assert single_instance.hand_over([str(tmp_path / "x.json")]) is False


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe leaves no file behind")
def test_a_name_left_by_a_crashed_instance_is_taken_over(qapp):
    name = single_instance.server_name()
    stale = Path(QDir.tempPath()) / name
    stale.write_text("")  # what a killed instance leaves on Unix
    listener = single_instance.Listener()
    try:
        assert listener.start()
    finally:
        listener.close()


def test_only_a_list_of_paths_is_accepted():
    assert single_instance.parse_message(b'{"open": ["/a.json"]}') == ["/a.json"]
    for bad in (b"[]", b'{"open": "/a.json"}', b'{"open": [1]}', b"not json"):
        with pytest.raises(ValueError):
            single_instance.parse_message(bad)


def test_a_crashed_later_windows_draft_is_never_reused_and_is_offered_back(
        qtbot, running, tmp_path):
    from composer.views.dialogs import open_boxes
    from composer.views.files import DraftState, DraftStore

    first, windows = running
    crashed = windows.user_dir / "windows" / "1"
    crashed.mkdir(parents=True)
    DraftStore(crashed).save(Conversation(messages=[Message.text("user", "unsaved words")]),
                             DraftState(path=None, modified=True, clean_exit=False))
    opened = windows.open_files([str(_file(tmp_path, "c.json", "another"))])
    assert Path(opened[0].user_dir).name == "2"  # the crashed window's folder is left alone
    recovered = windows.recover_orphans()
    assert len(recovered) == 1 and Path(recovered[0].user_dir) == crashed
    box = next(b for b in open_boxes(recovered[0]) if "Recover" in b.windowTitle())
    box.button(QMessageBox.StandardButton.Open).click()
    assert recovered[0].document.conversation.messages[0].plain_text == "unsaved words"


def test_quit_closes_every_window_and_a_question_holds_the_rest(qtbot, qloop, run_window):
    from composer.views.dialogs import open_boxes

    first = run_window()
    windows = single_instance.Windows()
    windows.adopt(first)
    second = windows.open_conversation(Conversation(messages=[Message.text("user", "two")]))
    third = windows.open_conversation(Conversation(messages=[Message.text("user", "three")]))
    try:
        second.table.add_row()  # unsaved changes: it asks (so does third: never saved)
        assert "Ctrl+W" in [k.toString() for k in third.commands.close_action.shortcuts()]
        first.commands.quit_action.trigger()
        assert first.isHidden()  # nothing unsaved: closed at once
        qtbot.waitUntil(lambda: len(open_boxes(second)) == 1)
        box = open_boxes(second)[0]
        box.button(QMessageBox.StandardButton.Cancel).click()  # the quit ends here
        assert second.isVisible() and third.isVisible() and windows.open == [second, third]
        third.commands.quit_action.trigger()  # from any window
        qtbot.waitUntil(lambda: len(open_boxes(second)) == 1)
        open_boxes(second)[0].button(QMessageBox.StandardButton.Discard).click()
        # an opened conversation is unsaved too: the quit goes on to it and it asks in turn
        qtbot.waitUntil(lambda: len(open_boxes(third)) == 1)
        assert second.isHidden() and windows.open == [third]
        open_boxes(third)[0].button(QMessageBox.StandardButton.Discard).click()
        qtbot.waitUntil(windows.all_closed.is_set)
        assert second.isHidden() and third.isHidden()
    finally:
        for window in (second, third):
            window.run_ui.shutdown()
            window._close_confirmed = True
            window.close()
            window.deleteLater()
