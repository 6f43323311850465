"""After Undo or Redo the table selects the rows the step changed, as a spreadsheet does: rows a
delete took come back selected, moved rows are selected where they went, and where rows went
away the row now in their place is. Undoing typing leaves the selection as it is."""

from __future__ import annotations

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.views import touched_rows


def _window(make_window, n: int = 5):
    texts = [f"row {i}" for i in range(n)]
    window = make_window(Conversation(messages=[Message.text("user", t) for t in texts]))
    return window, window.table


def _texts(window) -> list[str]:
    return [m.plain_text for m in window.document.messages]


def test_undoing_a_delete_selects_the_rows_that_come_back(make_window):
    window, table = _window(make_window)
    table.select_rows([1, 2])
    table.delete_selected()
    assert _texts(window) == ["row 0", "row 3", "row 4"]
    table.select_rows([2])  # the user goes on elsewhere
    window.undo_stack.undo()
    assert _texts(window)[1:3] == ["row 1", "row 2"]
    assert table.selected_rows() == [1, 2] and table.current_row() == 1
    window.undo_stack.redo()  # deleted again: the row now in their place
    assert table.selected_rows() == [1] and _texts(window)[1] == "row 3"


def test_undoing_a_move_selects_the_row_where_it_went_back(make_window):
    window, table = _window(make_window)
    table.select_rows([3])
    table.move_selected_up()
    assert _texts(window)[2] == "row 3" and table.selected_rows() == [2]
    table.select_rows([0])
    window.undo_stack.undo()
    assert _texts(window)[3] == "row 3" and table.selected_rows() == [3]
    window.undo_stack.redo()
    assert table.selected_rows() == [2]


def test_undoing_a_duplicate_selects_the_row_in_its_place(make_window):
    window, table = _window(make_window)
    table.select_rows([4])
    table.duplicate_selected()
    assert len(window.document) == 6 and table.selected_rows() == [5]
    window.undo_stack.undo()
    assert len(window.document) == 5 and table.selected_rows() == [4]


def test_undoing_an_edit_selects_its_row_and_leaves_a_selection_that_holds_it(make_window):
    window, table = _window(make_window)
    table.select_rows([0])
    window.editor.set_text(3, "changed")
    window.undo_stack.undo()
    assert _texts(window)[3] == "row 3" and table.selected_rows() == [3]
    window.editor.set_text(3, "typed")  # typing in the selected row, undone: nothing moves
    window.undo_stack.undo()
    assert table.selected_rows() == [3] and table.current_row() == 3


def test_a_step_over_very_many_rows_selects_only_the_first(make_window, monkeypatch):
    monkeypatch.setattr(touched_rows, "MOST", 3)
    window, table = _window(make_window, 8)
    table.select_rows([2, 3, 4, 5])
    table.delete_selected()
    window.undo_stack.undo()
    assert table.selected_rows() == [2]
