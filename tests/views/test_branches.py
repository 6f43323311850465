"""Variants and branches in the window, against a loopback server: regenerate twice and step
through the three variants by keyboard, edit an earlier row and send (a branch), switch back
in the branches panel, rename, delete and undo, promote, and save and reopen with everything
there."""

from __future__ import annotations

import json
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from composer.models import files
from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.single_instance import Windows
from composer.views.table.delegates import variant_arrows
from composer.views.table.model import ROLE_COLUMN, VariantRole
from tests.loopback import Reply
from tests.views.checks import wait_checked

Key = Qt.Key
Mod = Qt.KeyboardModifier


def _reply(text: str) -> Reply:
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"content": text}}]}
    end = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return Reply.sse(f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(end)}\n\ndata: [DONE]\n\n")


def _conversation(url: str) -> Conversation:
    return Conversation(messages=[Message.text("user", "Sky?")],
                        settings=RequestSettings(provider="openai-chat", model="m", base_url=url))


def _texts(window) -> list[str]:
    return [m.plain_text for m in window.document.messages]


def _sent(loopback) -> list[list[str]]:
    """The user and assistant texts of every request the server received."""
    return [[m["content"] for m in r.json["messages"]] for r in loopback.received]


def _press(qtbot, window, key, modifier=Mod.NoModifier):
    """A key press to whatever has the focus in ``window``, as a user's keyboard sends it."""
    if QApplication.activeWindow() is not window:  # another test's window closing took it
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


def _wait_done(qtbot, run, runs: int) -> None:
    qtbot.waitUntil(lambda: run.state == RunState.DONE and len(run.runs.runs) == runs,
                    timeout=5000)


def _grow(qtbot, window, loopback, runs: int) -> None:
    """Send by keyboard and keep the reply (Append Reply)."""
    window.table.setFocus()
    _press(qtbot, window, Key.Key_Return, Mod.ControlModifier)
    _wait_done(qtbot, window.run_ui, runs)
    _press(qtbot, window, Key.Key_Return, Mod.ControlModifier | Mod.ShiftModifier)
    # A reply kept by itself is committed to the tree the moment after the run (a 0 ms timer):
    # a user's next edit always comes after that, so the test's must too.
    QApplication.processEvents()


def _regenerated_three_times(qtbot, window, loopback) -> None:
    loopback.queue(_reply("Blue."), _reply("Grey."), _reply("Azure."))
    _grow(qtbot, window, loopback, 1)
    assert _texts(window) == ["Sky?", "Blue."]
    for n in (2, 3):
        _press(qtbot, window, Key.Key_R, Mod.ControlModifier)  # Regenerate the last assistant row
        _wait_done(qtbot, window.run_ui, n)
        qtbot.waitUntil(lambda n=n: window.document.tree.variant(1) == (n - 1, n))
    assert _texts(window) == ["Sky?", "Azure."]


def test_regenerate_twice_and_step_through_three_variants_by_keyboard(qtbot, run_window,
                                                                      loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    # Each regenerate sent the rows above the assistant row only.
    assert _sent(loopback) == [["Sky?"], ["Sky?"], ["Sky?"]]
    model = window.table.model()
    assert model.index(1, ROLE_COLUMN).data(VariantRole) == (2, 3)
    assert "variant 3 of 3" in model.index(1, ROLE_COLUMN).data(
        Qt.ItemDataRole.AccessibleTextRole)
    window.table.setFocus()
    _press(qtbot, window, Key.Key_Left, Mod.AltModifier)
    assert _texts(window)[1] == "Grey."
    _press(qtbot, window, Key.Key_Left, Mod.AltModifier)
    assert _texts(window)[1] == "Blue."
    assert not window.branches.previous_variant_action.isEnabled()
    _press(qtbot, window, Key.Key_Left, Mod.AltModifier)  # at the first: stays
    assert _texts(window)[1] == "Blue."
    _press(qtbot, window, Key.Key_Right, Mod.AltModifier)
    assert _texts(window)[1] == "Grey." and model.index(1, ROLE_COLUMN).data(VariantRole) == (1, 3)
    # Variants are undoable like every edit: undo the steps, then a regenerate.
    window.undo_stack.undo()
    assert _texts(window)[1] == "Blue."
    for _ in range(2):
        window.undo_stack.undo()
    assert _texts(window)[1] == "Azure."
    window.undo_stack.undo()
    assert _texts(window)[1] == "Grey." and window.document.tree.variant(1) == (1, 2)
    window.undo_stack.redo()
    assert window.document.tree.variant(1) == (2, 3)
    # The shown variant is the one sent next.
    loopback.queue(_reply("Because."))
    window.editor.insert_messages(2, [Message.text("user", "Why?")])
    window.run_ui.send_action.trigger()
    _wait_done(qtbot, window.run_ui, 4)
    assert _sent(loopback)[-1] == ["Sky?", "Azure.", "Why?"]


def test_a_click_on_the_arrows_steps_the_variant(qtbot, run_window, loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    table = window.table
    index = table.model().index(1, ROLE_COLUMN)
    option = QStyleOptionViewItem()
    option.initFrom(table)  # the font the delegate lays the arrows out with
    arrows = variant_arrows(table.visualRect(index), option, 3)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=arrows.previous.center())
    assert _texts(window)[1] == "Grey."
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=arrows.next.center())
    assert _texts(window)[1] == "Azure."
    assert window.undo_stack.undoText() == "Show variant of row 2"
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=arrows.next.center())
    assert _texts(window)[1] == "Azure."  # the last: ▶ does nothing
    # A double-click on an arrow does not open the role editor.
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=arrows.previous.center())
    assert table.state() != table.State.EditingState


def test_edit_an_earlier_row_and_send_branches_then_switch_back_save_and_reopen(
        qtbot, run_window, loopback, tmp_path):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    loopback.queue(_reply("Because of scattering."), _reply("Ask a physicist."))
    window.editor.insert_messages(2, [Message.text("user", "Why?")])
    window.table.setFocus()
    _grow(qtbot, window, loopback, 4)
    assert _texts(window) == ["Sky?", "Azure.", "Why?", "Because of scattering."]
    # Edit row 3, drop the reply after it, and send: the conversation forks at row 3 and the
    # old continuation is kept.
    window.editor.set_text(2, "Really?")
    window.editor.remove_rows([3])
    _grow(qtbot, window, loopback, 5)
    assert _texts(window) == ["Sky?", "Azure.", "Really?", "Ask a physicist."]
    assert _sent(loopback)[-1] == ["Sky?", "Azure.", "Really?"]
    tree = window.document.tree
    assert tree.variant(2) == (1, 2)
    assert "Branch at row 3" in [window.undo_stack.text(i) for i in
                                 range(window.undo_stack.count())]
    panel = window.branches.panel
    qtbot.waitUntil(lambda: window.branches.dock.isVisible())
    qtbot.waitUntil(lambda: panel.view.topLevelItemCount() == 1)
    # Switch back with one click on the old branch.
    old_leaf = next(b.leaf for b in tree.branches()
                    if tree.promote(b.leaf)[-1].plain_text == "Because of scattering.")
    item = panel.item_for(old_leaf)
    assert item is not None and not item.font(0).bold()
    rect = panel.view.visualItemRect(item)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert _texts(window) == ["Sky?", "Azure.", "Why?", "Because of scattering."]
    qtbot.waitUntil(lambda: panel.item_for(old_leaf) is not None
                    and panel.item_for(old_leaf).font(0).bold())
    # Rename in place (F2 in the panel) and save; the file keeps every branch and variant.
    panel.view.setCurrentItem(panel.item_for(old_leaf))
    panel.view.setFocus()
    _press(qtbot, window, Key.Key_F2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not panel.view)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "why")
    qtbot.keyClick(editor, Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.tree.name_of(old_leaf) == "why")
    assert window.undo_stack.undoText() == "Rename branch"
    path = tmp_path / "sky.json"
    assert window.save_to(path)
    data = json.loads(path.read_text())
    assert data["composer"]["format_version"] == 2
    assert [m["parts"][0]["text"] for m in data["messages"]] == _texts(window)
    reopened = run_window(files.load(path))
    assert reopened.document.tree == window.document.tree
    assert _texts(reopened) == _texts(window)
    assert reopened.document.tree.name_of(old_leaf) == "why"
    assert reopened.document.tree.variant(1) == (2, 3)
    reopened.branches.step_variant(1, -1)
    assert _texts(reopened) == ["Sky?", "Grey."]


def test_delete_a_branch_undo_it_and_promote_one_to_a_window_of_its_own(qtbot, run_window,
                                                                         loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    tree = window.document.tree
    blue = next(b.leaf for b in tree.branches() if tree.node(b.leaf).message.plain_text == "Blue.")
    panel = window.branches.panel
    qtbot.waitUntil(lambda: panel.item_for(blue) is not None)
    panel.view.setCurrentItem(panel.item_for(blue))
    panel.view.setFocus()
    assert panel.delete_action.isEnabled()
    _press(qtbot, window, Key.Key_Delete)  # Del in the panel: the branch, not a table row
    assert window.document.tree.variant(1) == (1, 2) and _texts(window)[1] == "Azure."
    window.undo_stack.undo()
    assert window.document.tree.variant(1) == (2, 3)
    qtbot.waitUntil(lambda: panel.item_for(blue) is not None)
    # Promote: a new window (the app's window list opens it), unsaved, the branch's rows.
    windows = Windows(user_dir=window.user_dir)
    windows.adopt(window)
    window.branches.promote_branch(blue)
    assert len(windows.open) == 2
    promoted = windows.open[1]
    qtbot.addWidget(promoted)
    assert _texts(promoted) == ["Sky?", "Blue."]
    assert not promoted.undo_stack.isClean() and promoted.document.tree is None
    promoted._close_confirmed = True
    promoted.autosaver.stop()
    promoted.close()
    # Without a window list, the branch replaces this conversation (asking first).
    window.open_conversation_window = None
    window.undo_stack.setClean()
    window.branches.promote_branch(blue)
    assert _texts(window) == ["Sky?", "Blue."] and window.document.tree is None


def test_the_branches_dock_shows_itself_at_the_first_branch_and_exports_say_what_was_left(
        qtbot, run_window, loopback, tmp_path):
    window = run_window(_conversation(loopback.url))
    assert not window.branches.dock.isVisible()
    _regenerated_three_times(qtbot, window, loopback)
    qtbot.waitUntil(lambda: window.branches.dock.isVisible())
    assert window.export_to(tmp_path / "out.md", "markdown")
    box = window._dialog
    assert "2 other branches were not exported (only the active path)" in box.informativeText()
    box.close()


def test_the_draft_keeps_every_branch(qtbot, run_window, loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    window.autosaver.mark_changed()
    window.autosaver.flush()
    window.autosaver.wait()
    draft = window.drafts.load()
    assert draft.tree == window.document.tree and draft.tree.variant(1) == (2, 3)
    assert [m.plain_text for m in draft.messages] == _texts(window)


def test_next_and_previous_branch_keys_go_round_the_branches(qtbot, run_window, loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    window.table.setFocus()
    seen = []
    for _ in range(3):
        _press(qtbot, window, Key.Key_PageDown, Mod.AltModifier)
        seen.append(_texts(window)[1])
    assert seen == ["Blue.", "Grey.", "Azure."]
    _press(qtbot, window, Key.Key_PageUp, Mod.AltModifier)
    assert _texts(window)[1] == "Grey."
    assert window.undo_stack.undoText().startswith("Switch to branch")


def test_regenerate_checks_what_is_typed_as_send_does(qtbot, run_window, loopback):
    """A base URL still being typed is saved before a regenerate reads the settings, and one
    that cannot be saved stops it at the field, as a Send is stopped: never the last good URL
    sent in its place."""
    window = run_window(_conversation(loopback.url))
    loopback.queue(_reply("Blue."))
    _grow(qtbot, window, loopback, 1)
    panel = window.request_panel
    panel.base_url_edit.setText("ftp://elsewhere.example")  # typed, editing not finished
    _press(qtbot, window, Key.Key_R, Mod.ControlModifier)
    wait_checked(qtbot, window.run_ui)
    assert len(loopback.received) == 1  # nothing more was sent
    assert "must start with http:// or https://" in panel.model_note.text()
    assert len(window.run_ui.runs.runs) == 1
    # Typed right, it is what the regenerate goes to.
    panel.base_url_edit.setText(loopback.url + "/v1/")
    loopback.queue(_reply("Grey."))
    _press(qtbot, window, Key.Key_R, Mod.ControlModifier)
    _wait_done(qtbot, window.run_ui, 2)
    assert window.document.conversation.settings.base_url == loopback.url + "/v1/"
    assert loopback.received[-1].path.startswith("/v1/")
    assert _texts(window) == ["Sky?", "Grey."]


def test_the_selected_active_branch_follows_the_reply_that_forks_it(qtbot, run_window,
                                                                    loopback):
    # Rows 1-3 on branch 2; regenerating row 3 forks it. The selection, on the active branch,
    # moves to the new active branch (the one Rename and Delete then act on), not to the
    # shared part above the fork or the branch left behind.
    window = run_window(_conversation(loopback.url))
    loopback.queue(_reply("Blue."), _reply("Grey."), _reply("Because."), _reply("Why not."))
    _grow(qtbot, window, loopback, 1)
    _press(qtbot, window, Key.Key_R, Mod.ControlModifier)
    _wait_done(qtbot, window.run_ui, 2)
    window.editor.insert_messages(2, [Message.text("user", "Why?")])
    _grow(qtbot, window, loopback, 3)
    panel = window.branches.panel
    qtbot.waitUntil(lambda: panel.current_leaf() == window.document.tree.path[-1])
    assert _texts(window) == ["Sky?", "Grey.", "Why?", "Because."]
    window.table.selectRow(3)
    _press(qtbot, window, Key.Key_R, Mod.ControlModifier)  # regenerate row 4: a fork
    _wait_done(qtbot, window.run_ui, 4)
    qtbot.waitUntil(lambda: window.document.tree.variant(3) == (1, 2))
    tree = window.document.tree
    assert len(tree.leaves) == 3
    qtbot.waitUntil(lambda: panel.item_for(tree.path[-1]) is not None)  # the panel is refreshed
    assert panel.current_leaf() == tree.path[-1]
    assert panel.view.currentItem().font(0).bold()


def test_the_selected_active_branch_follows_a_switch_by_keyboard(qtbot, run_window, loopback):
    window = run_window(_conversation(loopback.url))
    _regenerated_three_times(qtbot, window, loopback)
    panel = window.branches.panel
    qtbot.waitUntil(lambda: panel.current_leaf() == window.document.tree.path[-1])
    window.table.setFocus()
    _press(qtbot, window, Key.Key_PageDown, Mod.AltModifier)
    qtbot.waitUntil(lambda: panel.item_for(window.document.tree.path[-1]).font(0).bold())
    assert panel.current_leaf() == window.document.tree.path[-1]
    assert panel.view.currentItem().font(0).bold()
    # A branch chosen in the panel that is not the active one stays chosen.
    leaves = list(window.document.tree.leaves)
    other = leaves[leaves.index(window.document.tree.path[-1]) - 1]  # not the next one
    panel.view.setCurrentItem(panel.item_for(other))
    _press(qtbot, window, Key.Key_PageDown, Mod.AltModifier)
    active = window.document.tree.path[-1]
    assert active != other
    qtbot.waitUntil(lambda: panel.item_for(active).font(0).bold())
    assert panel.current_leaf() == other


MAIN = threading.main_thread().name


def _forking_send_recorded(qtbot, window, loopback, monkeypatch, *, edit_while_checking=None):
    """Send after an earlier row was edited; the threads each commit was worked out on."""
    from composer.models import branching

    threads: list[str] = []
    commit = branching.commit

    def recorded(document):
        threads.append(threading.current_thread().name)
        return commit(document)

    monkeypatch.setattr(branching, "commit", recorded)
    loopback.queue(_reply("Blue."), _reply("Grey."))
    _grow(qtbot, window, loopback, 1)
    window.editor.set_text(0, "Sea?")
    window.editor.remove_rows([1])
    threads.clear()
    window.table.setFocus()
    _press(qtbot, window, Key.Key_Return, Mod.ControlModifier)
    if edit_while_checking is not None:  # before the checks end: the plan is stale then
        edit_while_checking()
    _wait_done(qtbot, window.run_ui, 2)
    return threads


def test_a_forking_sends_commit_is_worked_out_on_a_worker_while_it_is_checked(
        qtbot, run_window, loopback, monkeypatch):
    window = run_window(_conversation(loopback.url))
    threads = _forking_send_recorded(qtbot, window, loopback, monkeypatch)
    assert threads and MAIN not in threads
    tree = window.document.tree
    assert tree.variant(0) == (1, 2) and len(tree.leaves) == 2
    assert tree.messages()[0].plain_text == "Sea?"
    assert "Branch at row 1" in [window.undo_stack.text(i)
                                 for i in range(window.undo_stack.count())]


def test_an_edit_made_while_a_send_is_checked_is_committed_as_it_stands(
        qtbot, run_window, loopback, monkeypatch):
    """The plan was of the rows at the press; the start commits the table as it is then."""
    window = run_window(_conversation(loopback.url))
    threads = _forking_send_recorded(
        qtbot, window, loopback, monkeypatch,
        edit_while_checking=lambda: window.editor.set_text(0, "Sea, really?"))
    assert MAIN in threads  # worked out again, on the window's thread
    assert _sent(loopback)[-1] == ["Sea?"]  # what was pressed is what went
    assert window.document.tree.messages()[0].plain_text == "Sea, really?"


def test_a_plan_that_fails_on_the_worker_leaves_the_commit_to_the_start(
        qtbot, run_window, loopback, monkeypatch):
    from composer.models import branching

    def broken(rows):
        raise RuntimeError("a bug in the plan")

    monkeypatch.setattr(branching, "planned_commit", broken)
    window = run_window(_conversation(loopback.url))
    threads = _forking_send_recorded(qtbot, window, loopback, monkeypatch)
    assert threads == [MAIN]  # the Send went, committed on the window's thread
    assert window.document.tree.variant(0) == (1, 2)


def test_the_panels_buttons_fit_the_width_the_dock_asks_for(qtbot):
    """At 1280 px with the dock shown, "Promote" was cut off: the buttons say a word each (the
    menus keep the whole text)."""
    from PySide6.QtWidgets import QToolButton

    from composer.views.branches.panel import BranchesPanel

    panel = BranchesPanel()
    qtbot.addWidget(panel)
    buttons = panel.findChildren(QToolButton)
    assert [b.text() for b in buttons] == ["Rename", "Delete", "Promote"]
    assert panel.rename_action.text() == "&Rename Branch"
    margins = panel.layout().contentsMargins()
    row = panel.layout().itemAt(panel.layout().count() - 1).layout()
    needed = (sum(b.sizeHint().width() for b in buttons) + row.spacing() * (len(buttons) - 1)
              + margins.left() + margins.right())
    assert needed <= panel.sizeHint().width()
