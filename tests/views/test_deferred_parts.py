"""Parts of the window the first paint does not show are built at their first use, and then
are what they always were: their keys (the user's too), their place in the shortcut list,
the settings they show."""

from __future__ import annotations

import json

from PySide6.QtGui import QKeySequence

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.views import shortcuts
from composer.views.lazy import LazyPage


def _conversation() -> Conversation:
    return Conversation(messages=[Message.text("user", "Hi {{name}}")],
                        settings=RequestSettings(provider="replay", extra_body={"top_k": 40}))


def test_hidden_tabs_and_the_branches_dock_wait_for_their_first_showing(qtbot, make_window):
    window = make_window(_conversation())
    pages = window.findChildren(LazyPage)
    assert pages and not any(page.is_built for page in pages)
    panel = window.request_panel
    # The Variables title is counted without its table.
    assert panel.tabs.tabText(4) == "Variables (1, 1 unset)"
    panel.tabs.setCurrentIndex(3)  # Extra, as a click on its tab
    assert panel.tabs.currentWidget().is_built
    assert json.loads(panel.extra_body_edit.toPlainText()) == {"top_k": 40}
    assert panel.extra_body_edit.isVisibleTo(window)  # in the paint that shows the tab
    panel.extra_body_edit.setPlainText('{"top_k": 41}')
    assert window.document.conversation.settings.extra_body == {"top_k": 41}
    assert not window.branches.dock.widget().is_built
    window.branches.show_branches_action.trigger()
    assert window.branches.dock.widget().is_built
    assert window.branches.panel.isVisibleTo(window)


def test_a_problem_in_a_tab_not_built_yet_does_not_exist_until_typed(qtbot, make_window):
    window = make_window(_conversation())
    panel = window.request_panel
    assert panel.problems() == [] and panel.first_problem() is None
    panel.tools_edit.setPlainText("[")  # builds the Tools tab, as a user's typing there would
    assert [p.field.value for p in panel.problems()] == ["tools"]


def test_a_saved_key_of_a_part_built_later_applies_once_it_is_built(qtbot, make_window,
                                                                     tmp_path):
    user = tmp_path / "u"
    user.mkdir()
    (user / shortcuts.FILE_NAME).write_text(json.dumps({"rename-branch": "Shift+F2"}))
    window = make_window(user_dir=user)
    panel = window.branches.panel  # built now
    assert panel.rename_action.shortcut() == QKeySequence("Shift+F2")
    titles = [c.title for c in shortcuts.commands(window)]
    assert "Rename Branch" in titles


def test_the_shortcut_list_and_collision_check_see_parts_not_built_yet(qtbot, make_window):
    window = make_window()
    assert not window.branches.dock.widget().is_built
    commands = {c.id: c for c in shortcuts.commands(window)}
    assert commands["rename-branch"].keys() == [QKeySequence("F2")]
    assert window.branches.dock.widget().is_built
    assert shortcuts.collisions(window) == []
