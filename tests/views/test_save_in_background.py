"""Save (Ctrl+S, Save As, the Save of "Save the changes?") writes on a worker: the window goes
on meanwhile, and what it held at the press is what the file gets."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from composer.models.conversation import Conversation
from composer.models.files import load_conversation, save
from composer.models.parts import Message
from composer.views.dialogs import open_boxes

Button = QMessageBox.StandardButton


def _conversation(*texts: str) -> Conversation:
    return Conversation(messages=[Message.text("user", t) for t in texts])


def _opened(make_window, path, *texts: str):
    save(_conversation(*texts), path)
    window = make_window()
    assert window.open_path(path)
    return window


def _texts(path) -> list[str]:
    return [m.plain_text for m in load_conversation(path).messages]


def test_the_file_gets_what_the_window_held_at_the_press(qtbot, make_window, tmp_path):
    path = tmp_path / "c.json"
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    with qtbot.waitSignal(window.file_saved):
        window.save()
        assert window.saving is not None
        window.editor.set_text(0, "three")  # typed while it is written
    assert _texts(path) == ["two"]
    assert window.document.messages[0].plain_text == "three"
    # The window differs from its file, and no undo step is the file's state any more (the
    # edits merged into one: its undo goes back to "one", which the file no longer holds).
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert window.document.messages[0].plain_text == "one"
    assert not window.undo_stack.isClean()


def test_nothing_changed_meanwhile_leaves_the_window_clean(qtbot, make_window, tmp_path):
    path = tmp_path / "c.json"
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    assert window.isWindowModified()
    with qtbot.waitSignal(window.file_saved):
        window.save()
    assert not window.isWindowModified() and window.saving is None
    assert "Saved" in window.statusBar().currentMessage()


def test_a_save_asked_for_while_one_is_written_follows_it(qtbot, make_window, tmp_path):
    path = tmp_path / "c.json"
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    saved: list[str] = []
    window.file_saved.connect(saved.append)
    window.save()
    window.editor.set_text(0, "three")
    window.save()
    qtbot.waitUntil(lambda: len(saved) == 2, timeout=5000)
    assert _texts(path) == ["three"]
    assert not window.isWindowModified()


def test_closing_while_it_is_written_waits_for_it(qtbot, make_window, tmp_path):
    path = tmp_path / "c.json"
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.save()
        window.close()
        assert window.isVisible()  # not before the file is written
    assert _texts(path) == ["two"]
    assert open_boxes(window) == []  # nothing left unsaved to ask about


def test_opening_another_file_waits_for_the_save(qtbot, make_window, tmp_path):
    path, other = tmp_path / "c.json", tmp_path / "other.json"
    save(_conversation("other"), other)
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    window.save()
    window.confirm_discard(lambda: window.open_path(other))
    assert window.file_path == path  # not yet: the save is being written
    qtbot.waitUntil(lambda: window.file_path == other, timeout=5000)
    assert _texts(path) == ["two"]
    assert window.document.messages[0].plain_text == "other"


def test_a_save_that_fails_says_so_and_keeps_everything(qtbot, make_window, tmp_path):
    path = tmp_path / "c.json"
    window = _opened(make_window, path, "one")
    window.editor.set_text(0, "two")
    path.unlink()
    path.mkdir()  # where the file was, a folder: the write fails
    window.save()
    qtbot.waitUntil(lambda: len(open_boxes(window)) == 1, timeout=5000)
    assert "Could not save" in open_boxes(window)[0].text() + open_boxes(window)[0].windowTitle()
    assert window.saving is None and window.isWindowModified()
    assert window.document.messages[0].plain_text == "two"
