"""The window's saving never fails silently: Save, Save Exchange and Export write text holding
lone surrogates (and say so) or show one clear error; a failing autosave says so in the status
bar and retries on its own; and a kill at any write leaves the draft and its state agreeing.
Real files; unwritable places are paths under a regular file (CI runs as root: chmod won't do).
"""

from __future__ import annotations

import json
import os

import pytest

from composer.models import files as model_files
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange, Prompt
from composer.models.files import load, load_conversation
from composer.models.parts import Message
from composer.views import files as window_files
from composer.views.dialogs import open_boxes
from composer.views.files import DraftStore

LONE = "half an emoji \ud83d here"


def _conv(*texts: str) -> Conversation:
    return Conversation(messages=[Message.text("user", t) for t in texts])


def _box_text(window) -> str:
    boxes = open_boxes(window)
    assert len(boxes) == 1, "expected one message box"
    return boxes[0].text() + "\n" + boxes[0].informativeText()


def test_save_save_exchange_and_export_write_lone_surrogates_and_say_so(make_window,
                                                                        tmp_path):
    window = make_window(_conv(LONE))
    path = tmp_path / "conv.json"
    assert window.save_to(path)
    assert load_conversation(path).messages[0].plain_text == "half an emoji \ufffd here"
    assert "1 character(s) that were not valid Unicode" in window.statusBar().currentMessage()
    assert not open_boxes(window)

    exchange = Exchange(model="m", prompt=Prompt(messages=[Message.text("user", "q")]),
                        messages=[Message.text("assistant", LONE)])
    assert window.run_ui.save_exchange_to(tmp_path / "exchange.json", exchange)
    assert isinstance(load(tmp_path / "exchange.json"), Exchange)
    assert "not valid Unicode" in window.statusBar().currentMessage()

    assert window.export_to(tmp_path / "conv.md", "markdown")
    assert "\ufffd" in (tmp_path / "conv.md").read_text(encoding="utf-8")
    assert "not valid Unicode" in window.statusBar().currentMessage()


@pytest.mark.parametrize("what", ["save", "save exchange", "export"])
def test_a_write_into_an_unwritable_place_shows_one_clear_error(make_window, tmp_path, what):
    window = make_window(_conv("keep me"))
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    target = tmp_path / "a-file" / "out.json"
    exchange = Exchange(model="m", prompt=Prompt(messages=[Message.text("user", "q")]))
    if what == "save":
        assert window.save_to(target) is False
        assert window.isWindowModified() or window.file_path != target
    elif what == "save exchange":
        assert window.run_ui.save_exchange_to(target, exchange) is False
    else:
        assert window.export_to(target, "openai-chat") is False
    text = _box_text(window)
    assert str(target) in text and "Not a directory" in text
    assert window.document.messages[0].plain_text == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failing_autosave_says_so_and_retries_until_it_works(qtbot, make_window, user_dir,
                                                               tmp_path):
    window = make_window(_conv("v0"))
    saver = window.autosaver
    saver._timer.setInterval(20)
    failures = []
    saver.failed.connect(failures.append)
    # The user directory becomes a regular file: every write under it fails (ENOTDIR).
    moved = tmp_path / "user-away"
    os.replace(user_dir, moved)
    user_dir.write_text("in the way", encoding="utf-8")
    window.editor.set_text(0, "typed while the disk is away")
    qtbot.waitUntil(lambda: len(failures) >= 3, timeout=5000)  # retried with no new edit
    assert "draft not saved" in failures[0] and "trying again" in failures[0]
    assert "draft not saved" in window.statusBar().currentMessage()
    assert saver.failing
    user_dir.unlink()
    os.replace(moved, user_dir)
    with qtbot.waitSignal(saver.resumed, timeout=5000):
        pass
    assert not saver.failing
    assert "saved again" in window.statusBar().currentMessage()
    assert DraftStore(user_dir).load().messages[0].plain_text == "typed while the disk is away"


def test_an_autosave_of_a_lone_surrogate_is_written_not_lost(qtbot, make_window, user_dir):
    window = make_window(_conv("v0"))
    window.autosaver._timer.setInterval(20)
    failures = []
    window.autosaver.failed.connect(failures.append)
    with qtbot.waitSignal(window.autosaver.saved, timeout=5000):
        window.editor.set_text(0, LONE)
    assert failures == []
    assert DraftStore(user_dir).load().messages[0].plain_text == "half an emoji \ufffd here"


class Killed(BaseException):
    """The process dying at this point: nothing after it runs."""


def _kill_at(monkeypatch, n: int) -> list[str]:
    """Die just before the ``n``-th rename (each rename is one file changing on disk), on
    whichever thread it comes (the window's small files are written on a worker): no rename
    after it lands either. The names renamed so far."""
    real = os.replace
    done: list[str] = []

    def replace(src, dst):
        if n and len(done) + 1 >= n:
            raise Killed
        real(src, dst)
        done.append(os.path.basename(dst))

    monkeypatch.setattr(model_files.os, "replace", replace)
    return done


def _session(window, path) -> None:
    """Edit and autosave (v1), edit (v1b), Save, edit and autosave (v2), one write at a time."""
    drafts = window.drafts
    window.editor.set_text(0, "v1")
    drafts.save(*window._draft_snapshot(), drafts.epoch)
    window.editor.set_text(0, "v1b")
    assert window.save_to(path)
    window_files.flush()  # the state after the Save and the recent list: on their worker
    window.editor.set_text(0, "v2")
    drafts.save(*window._draft_snapshot(), drafts.epoch)


# A kill on the worker that writes the state and the recent list ends that thread alone here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_kill_at_any_write_leaves_a_draft_that_agrees_with_its_state(make_window, tmp_path,
                                                                       monkeypatch):
    def start(n: int):
        folder = tmp_path / f"run{n}"
        window = make_window(_conv("v0"), user_dir=folder / "user")
        window.autosaver.stop()  # the writes below are driven one by one
        return window, folder

    window, folder = start(0)
    trace = _kill_at(monkeypatch, 0)
    _session(window, folder / "conv.json")
    monkeypatch.undo()
    # The renames: draft, state (v1 committed), state (save begins), conv.json, state, recent
    # list, draft, state (v2 committed).
    assert trace.count("conv.json") == 1 and len(trace) >= 7
    v1_committed = trace.index("draft-state.json") + 1
    file_saved = trace.index("conv.json") + 1
    for n in range(1, len(trace) + 1):
        window, folder = start(n)
        _kill_at(monkeypatch, n)
        with pytest.raises(Killed):
            _session(window, folder / "conv.json")
        monkeypatch.undo()
        for written in folder.rglob("*.json"):
            json.loads(written.read_text(encoding="utf-8"))  # never a torn file
        store = DraftStore(folder / "user")
        recovered = store.load().messages[0].plain_text if store.recoverable() else None
        if n > file_saved:  # the Save finished: the v1 draft is older than the file
            assert load_conversation(folder / "conv.json").messages[0].plain_text == "v1b"
            assert recovered is None, f"kill before rename {n}: offered {recovered}"
        elif n > v1_committed:
            assert recovered == "v1", f"kill before rename {n}: offered {recovered}"
        else:
            assert recovered is None, f"kill before rename {n}: offered {recovered}"


def test_a_start_removes_the_temp_file_a_killed_save_left_beside_the_last_file(
        qtbot, make_window, tmp_path):
    import subprocess
    import sys

    first = make_window(_conv("v0"))
    path = tmp_path / "work" / "conv.json"
    path.parent.mkdir()
    assert first.save_to(path)
    first.autosaver.stop()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    litter = path.parent / f".conv.json.{dead.pid}-abcd1234.tmp"
    litter.write_text('{"half', encoding="utf-8")
    again = make_window()  # the next start reopens the last file
    assert again.file_path == path
    assert not litter.exists()


def test_a_kill_right_after_recover_still_finds_the_recovered_changes(qtbot, make_window,
                                                                      user_dir):
    from PySide6.QtWidgets import QMessageBox

    crashed = make_window(_conv("v0"))
    crashed.autosaver.stop()
    crashed.editor.set_text(0, "typed before the crash")
    crashed.drafts.save(*crashed._draft_snapshot(), crashed.drafts.epoch)
    again = make_window()  # the next start, with the draft set aside
    again.autosaver.stop()  # no autosave comes before the next kill
    box = again.offer_recovery()
    box.button(QMessageBox.StandardButton.Open).click()
    assert again.document.messages[0].plain_text == "typed before the crash"
    # Killed here: the start after must find the recovered changes again.
    store = DraftStore(user_dir)
    assert store.recoverable() or store.set_aside_draft() is not None
    path = store.draft_path if store.recoverable() else store.aside_path
    assert load_conversation(path).messages[0].plain_text == "typed before the crash"


def test_a_broken_user_directory_does_not_stop_saving_the_users_file(make_window, user_dir,
                                                                     tmp_path):
    window = make_window(_conv("v0"))
    window.autosaver.stop()
    os.replace(user_dir, tmp_path / "user-away")
    user_dir.write_text("in the way", encoding="utf-8")
    window.editor.set_text(0, "saved anyway")
    assert window.save_to(tmp_path / "conv.json")
    assert load_conversation(tmp_path / "conv.json").messages[0].plain_text == "saved anyway"
    assert not open_boxes(window)


def test_a_start_on_a_file_reads_neither_the_last_file_nor_the_example_but_keeps_a_crash(
        qtbot, make_window, tmp_path, monkeypatch):
    """``llm-composer FILE`` opens FILE before the first paint: the last file (which may be
    big) is not read first, only to be replaced; a crashed session's draft is still set aside
    for the recovery offer."""
    first = make_window(_conv("v0"))
    last = tmp_path / "last.json"
    assert first.save_to(last)
    first.autosaver.stop()
    first.editor.set_text(0, "typed before the crash")
    first.drafts.save(*first._draft_snapshot(), first.drafts.epoch)  # and then killed
    read = []
    original = model_files.read_bytes

    def reading(path, *args, **kwargs):
        read.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(model_files, "read_bytes", reading)
    again = make_window(reopen=False)
    assert str(last) not in read and len(again.document) == 0 and not again._on_example
    assert again._recovery is not None  # the crashed draft, set aside, is offered
    wanted = tmp_path / "wanted.json"
    model_files.save(_conv("asked for"), wanted)
    assert again.open_path(wanted)
    assert again.file_path == wanted
    assert [m.plain_text for m in again.document.messages] == ["asked for"]
    without = make_window()  # a start without a file reopens the last one: now that one
    assert without.file_path == wanted and str(wanted) in read


def test_an_open_and_a_save_write_the_state_and_the_recent_list_off_the_window_thread(
        qtbot, make_window, tmp_path, monkeypatch):
    """Each is fsync'd: on a slow disk or a network home the window would wait for them."""
    import threading

    window = make_window(_conv("v0"), user_dir=tmp_path / "user")
    window_files.flush()
    real, writes = window_files.atomic_write_text, []

    def write(path, text):
        writes.append((os.path.basename(path), threading.current_thread().name))
        return real(path, text)

    monkeypatch.setattr(window_files, "atomic_write_text", write)
    path = tmp_path / "conv.json"
    window.save_later(path)  # as the menu's Save: the file and its first state on a worker
    qtbot.waitUntil(lambda: window.saving is None)
    assert window.open_path(path)
    assert window.recent.paths()[0] == str(path.resolve())  # a read waits for the writes
    assert threading.main_thread().name not in {thread for _, thread in writes}
    on_writer = [name for name, thread in writes if thread == "composer-files"]
    assert on_writer.count("recent.json") == 2
    # The Open's state may replace the Save's before that one is written: one write, or two.
    assert on_writer.count("draft-state.json") in (1, 2)
    assert DraftStore(tmp_path / "user").state().path == str(path)
