"""Variants and branches in the window: Regenerate, stepping a row's variants, the branches
dock, and committing the table to the tree when a conversation is sent.

The logic is the pure core's (composer/models/branching.py); this adapts it to actions and
pushes its edits on the undo stack, so a step, a regenerate, a switch, a rename and a delete
each undo as one. A send commits the table first: a commit that forks (an earlier row edited,
then sent) is an undo step "Branch at row N"; one that only extends the path is not.

``BranchCommands.keep_replies_as_variants(replies, chosen)`` is the way other parts of the
window (compare's "Keep this one") keep several replies as variants of the next turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QVBoxLayout

from composer.models import branching
from composer.models.branching import PlannedCommit
from composer.models.document import CommitRows, Notice, Reset, SetTree, TreeChanged
from composer.models.parts import Message
from composer.models.tree import ROOT, TreeError
from composer.views.lazy import LazyPage

if TYPE_CHECKING:
    import asyncio

    from composer.models.document import Document
    from composer.models.exchange import Exchange
    from composer.views.branches.panel import BranchesPanel
    from composer.views.window import MainWindow


class BranchCommands(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.editor = window.editor
        self.run = window.run_ui
        # The panel is built when the dock is first shown, or read (``panel``).
        self._panel: BranchesPanel | None = None
        self.dock = QDockWidget("Branches", window)
        self.dock.setObjectName("branches-dock")
        self.dock.setWidget(LazyPage(self._build_panel))
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                              | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self._user_hid_dock = False  # the dock shows itself at the first branch, unless hidden
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)  # after the click that switched: never in its handler
        self._refresh_timer.timeout.connect(self.refresh)
        self._make_actions()
        self._install_menus()
        window.table.variant_step_requested.connect(self.step_variant)
        self._planned: tuple[Document, int, PlannedCommit] | None = None
        self.run.alongside_checks.append(self._plan_commit)
        self.run.run_started.connect(self._on_run_started)
        # After whatever keeps the reply (Append Reply, or "keep replies" on run_finished).
        self.run.append_action.triggered.connect(self.commit_kept_reply)
        self.run.run_finished.connect(lambda _exchange: QTimer.singleShot(
            0, self, self.commit_kept_reply))
        self.document.subscribe(self._on_document_changed)
        window.table.current_row_changed.connect(self._update_actions)
        self.editor.undo_stack.indexChanged.connect(self._update_actions)
        self.run.state_changed.connect(self._update_actions)
        self.refresh()
        self._refresh_timer.start()  # again once the window shows: a file with branches opens
        # with the dock shown

    @property
    def panel(self) -> BranchesPanel:
        self.dock.widget().built()
        assert self._panel is not None
        return self._panel

    def _build_dock(self, showing: bool = True) -> None:
        if showing:
            self.dock.widget().built()

    def _build_panel(self, layout: QVBoxLayout) -> None:
        from composer.views.branches.panel import BranchesPanel  # loaded with the dock

        panel = self._panel = BranchesPanel()
        panel.switch_requested.connect(self.switch_to)
        panel.rename_requested.connect(self.rename_branch)
        panel.delete_requested.connect(self.delete_branch)
        panel.promote_requested.connect(self.promote_branch)
        panel.show_tree(self.document.tree)
        layout.addWidget(panel)

    # -- actions --------------------------------------------------------------------------------

    def _action(self, text: str, key: str | None, slot, tip: str) -> QAction:
        action = QAction(text, self.window)
        if key:
            action.setShortcut(QKeySequence(key))
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({key})" if key else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _make_actions(self) -> None:
        self.regenerate_action = self._action(
            "&Regenerate", "Ctrl+R", self.regenerate,
            "Send the rows above the assistant row again; keep the new reply as a variant")
        self.previous_variant_action = self._action(
            "Pre&vious Variant", "Alt+Left", lambda: self.step_current(-1),
            "Show the row's previous variant (the one shown is the one sent)")
        self.next_variant_action = self._action(
            "Ne&xt Variant", "Alt+Right", lambda: self.step_current(+1),
            "Show the row's next variant (the one shown is the one sent)")
        self.previous_branch_action = self._action(
            "Previous &Branch", "Alt+PgUp", lambda: self.step_branch(-1),
            "Show the branch before this one in the branches panel")
        self.next_branch_action = self._action(
            "Next B&ranch", "Alt+PgDown", lambda: self.step_branch(+1),
            "Show the branch after this one in the branches panel")
        self.show_branches_action = self.dock.toggleViewAction()
        self.show_branches_action.setText("&Branches")
        self.show_branches_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.show_branches_action.triggered.connect(self._on_show_branches_triggered)
        # Before the dock's own slot shows it: the dock is sized for the panel, not its page.
        self.show_branches_action.toggled.connect(self._build_dock)

    def _install_menus(self) -> None:
        w = self.window
        run_menu = self.run.menu
        if run_menu is not None:
            actions = run_menu.actions()
            after = actions[2] if len(actions) > 2 else None  # after Send and Stop
            run_menu.insertAction(after, self.regenerate_action)
        conversation_menu = w.commands.conversation_menu
        if conversation_menu is not None:
            conversation_menu.addSeparator()
            conversation_menu.addActions([self.previous_variant_action,
                                          self.next_variant_action,
                                          self.previous_branch_action, self.next_branch_action])
        if w.commands.view_menu is not None:
            w.commands.view_menu.addAction(self.show_branches_action)
        w.table.extra_menu_actions += [self.regenerate_action, self.previous_variant_action,
                                       self.next_variant_action]

    def _update_actions(self, *_args) -> None:
        self.regenerate_action.setEnabled(self.regenerate_row() is not None)
        row = self.variant_row()
        index, count = branching.variant_at(self.document, row) if row is not None else (0, 0)
        self.previous_variant_action.setEnabled(count > 1 and index > 0)
        self.next_variant_action.setEnabled(count > 1 and index < count - 1)
        tree = self.document.tree
        several = tree is not None and len(tree.leaves) > 1
        self.previous_branch_action.setEnabled(several)
        self.next_branch_action.setEnabled(several)

    # -- the tree changing ----------------------------------------------------------------------

    def _on_document_changed(self, notice: Notice) -> None:
        if isinstance(notice, TreeChanged | Reset):
            self._refresh_timer.start()

    def refresh(self) -> None:
        tree = self.document.tree
        if self._panel is not None:  # else it shows the tree when it is built
            self._panel.show_tree(tree)
        if tree is not None and len(tree.leaves) > 1 and not self._user_hid_dock \
                and not self.dock.isVisible() and self.window.isVisible():
            self._build_dock()
            self.dock.show()
        self._update_actions()

    def _on_show_branches_triggered(self, checked: bool) -> None:
        self._user_hid_dock = not checked

    def _push(self, edit: SetTree | None, text: str) -> bool:
        if edit is None:
            return False
        self.editor.push(edit, text)
        return True

    def _plan_commit(self) -> Callable[[], None]:
        """At a Send's press: the commit its start will make, to work out on the checks'
        worker (a fork at 10,000 rows built two chains of 10,000 nodes on the window's thread,
        ~60-100 ms). An edit made before the start makes the plan stale: it is made again."""
        document = self.document
        rows, revision = branching.Rows.of(document), document.revision
        self._planned = None

        def plan() -> None:
            self._planned = (document, revision, branching.planned_commit(rows))
        return plan

    def _take_plan(self) -> PlannedCommit | None:
        planned, self._planned = self._planned, None
        if planned is None:
            return None
        document, revision, commit = planned
        return commit if document is self.document and revision == document.revision else None

    def commit_table(self) -> int | None:
        """Commit the table to the tree (before a send); the row it forked at, if it did."""
        edit, fork = self._take_plan() or branching.commit(self.document)
        if edit is None:
            return None
        if fork is not None:
            self.editor.push(edit, f"Branch at row {fork + 1}")
            self.window.statusBar().showMessage(
                f"Row {fork + 1} changed since it was sent: the conversation branched there "
                "(the earlier path is kept in Branches).", 8000)
            return fork
        self._apply_quietly(edit)
        return None

    def _apply_quietly(self, edit: SetTree | CommitRows) -> None:
        """A commit that only extends the path: nothing to undo, but the file may hold more."""
        kept_before = self.document.conversation.kept_tree()
        self.document.apply(edit)
        kept = self.document.conversation.kept_tree()
        if kept is not None and kept is not kept_before and self.editor.undo_stack.isClean():
            self.editor.undo_stack.resetClean()

    def _on_run_started(self) -> None:
        self.commit_table()

    def commit_kept_reply(self) -> None:
        """After a reply went into the table (Append Reply, kept by itself): commit the rows up
        to it, so deleting it later and sending again keeps it as a branch."""
        current = self.run.record.current
        if current is None or not current.messages:
            return
        last = current.messages[-1]
        rows = self.document.messages
        end = next((i + 1 for i in range(len(rows) - 1, -1, -1) if rows[i] == last), None)
        edit = branching.commit_rows(self.document, end) if end is not None else None
        if edit is not None:
            self._apply_quietly(edit)

    # -- variants -------------------------------------------------------------------------------

    def variant_row(self) -> int | None:
        """The row the variant keys step: the current row when it has variants, else the last
        row that has."""
        tree = self.document.tree
        if tree is None:
            return None
        rows = [r for r in tree.variant_rows if r < len(self.document)
                and branching.variant_at(self.document, r)[1] > 1]
        current = self.window.table.current_row()
        if current in rows:
            return current
        return rows[-1] if rows else None

    def step_current(self, delta: int) -> bool:
        row = self.variant_row()
        return row is not None and self.step_variant(row, delta)

    def step_variant(self, row: int, delta: int) -> bool:
        """Show row ``row``'s previous (-1) or next (+1) variant (undoable)."""
        self.window.table.commit_open_edit()
        edit = branching.step(self.document, row, delta)
        if not self._push(edit, f"Show variant of row {row + 1}"):
            return False
        index, count = branching.variant_at(self.document, row)
        self.window.table.select_rows([row])
        self.window.statusBar().showMessage(f"Row {row + 1}: variant {index + 1} of {count}",
                                            3000)
        return True

    def keep_replies_as_variants(self, replies: Sequence[Sequence[Message]], chosen: int,
                                 text: str = "Keep replies as variants") -> None:
        """Keep each reply (a list of messages) as a variant of the next turn, after the
        table's last row, and show reply ``chosen``: one undo step."""
        self.window.table.commit_open_edit()
        self.editor.push(branching.keep_variants(self.document, replies, chosen), text)
        self.window.table.select_rows([len(self.document) - 1])

    # -- regenerate -----------------------------------------------------------------------------

    def regenerate_row(self) -> int | None:
        """The assistant row Regenerate works on: the current row when it is one, else the
        last assistant row."""
        if self.run.task is not None and not self.run.task.done():
            return None
        current = self.window.table.current_row()
        if 0 <= current < len(self.document) and \
                self.document.message(current).role == "assistant":
            return current
        for row in range(len(self.document) - 1, -1, -1):
            if self.document.message(row).role == "assistant":
                return row
        return None

    def regenerate(self, row: int | None = None) -> asyncio.Task | None:
        """Send rows ``0..row-1`` again and keep the reply as a variant of ``row`` (the
        current or last assistant row)."""
        row = self.regenerate_row() if row is None else row
        if row is None:
            self.window.statusBar().showMessage("Nothing to regenerate: no assistant row", 5000)
            return None
        self.window.table.commit_open_edit()
        self.commit_table()
        if self.document.tree is None:  # node ids that stay put until the reply is kept
            self.document.apply(SetTree(branching.base(self.document)))
        parent = branching.parent_for(self.document, row)

        def keep(exchange: Exchange) -> None:
            self._keep_regenerated(exchange, parent, row)

        # The rows above, with what the request panel holds typed, checked as a Send checks it.
        return self.run.send(keep=keep, upto=row)

    def _keep_regenerated(self, exchange: Exchange, parent: str, row: int) -> None:
        reply = [m.model_copy(deep=True) for m in exchange.messages if m.parts]
        if not reply:
            return  # the error or the stop is said by the run's state
        tree = self.document.tree
        if parent != ROOT and (tree is None or parent not in tree):
            self.window.statusBar().showMessage(
                f"The rows above row {row + 1} were deleted meanwhile: the reply is in Runs",
                10000)
            return
        try:
            edit = branching.keep_variants(self.document, [reply], 0, parent=parent)
        except TreeError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return
        self.editor.push(edit, f"Regenerate row {row + 1}")
        self.run.mark_reply_in(list(self.document.ids[row:row + len(reply)]))
        self.window.table.select_rows([row])
        _, count = branching.variant_at(self.document, row)
        self.window.statusBar().showMessage(
            f"Row {row + 1}: kept as variant {count} of {count} (Alt+Left shows the others)",
            8000)

    # -- branches -------------------------------------------------------------------------------

    def step_branch(self, delta: int) -> bool:
        """Show the previous (-1) or next (+1) branch, in the panel's order."""
        tree = self.document.tree
        if tree is None or len(tree.leaves) < 2:
            return False
        leaves = tree.leaves
        end = tree.path[-1] if tree.path else None
        # Where the path ends inside a branch (rows deleted), that branch counts as current.
        here = next((i for i, leaf in enumerate(leaves) if end in tree.path_to(leaf)), 0)
        return self.switch_to(leaves[(here + delta) % len(leaves)])

    def switch_to(self, node_id: str) -> bool:
        """Show the branch through ``node_id``; the table is committed first (undoable)."""
        self.window.table.commit_open_edit()
        try:
            edit = branching.switch(self.document, node_id)
        except TreeError as exc:
            self.window.statusBar().showMessage(str(exc), 5000)
            return False
        name = self._name(node_id)
        return self._push(edit, f"Switch to {name}")

    def rename_branch(self, leaf: str, name: str) -> bool:
        try:
            edit = branching.rename(self.document, leaf, name)
        except TreeError as exc:
            self.window.statusBar().showMessage(str(exc), 5000)
            return False
        return self._push(edit, "Rename branch")

    def delete_branch(self, leaf: str) -> bool:
        """Delete a branch (what only it has), undoably."""
        self.window.table.commit_open_edit()
        name = self._name(leaf)
        try:
            edit = branching.delete(self.document, leaf)
        except TreeError as exc:
            self.window.statusBar().showMessage(str(exc), 5000)
            return False
        self.editor.push(edit, f"Delete {name}")
        self.window.statusBar().showMessage(f"Deleted {name} (Undo brings it back)", 5000)
        return True

    def promote_branch(self, leaf: str):
        """A branch as a conversation of its own: in a new window where the app has several
        (``window.open_conversation_window``), else in this one as New does."""
        conversation = branching.promote(self.document, leaf)
        opener = getattr(self.window, "open_conversation_window", None)
        if opener is not None:
            return opener(conversation)
        name = self._name(leaf)

        def replace() -> None:
            self.window.replace_with_new(conversation, f"(promoted from {name})")

        return self.window.confirm_discard(replace)

    def _name(self, node_id: str) -> str:
        tree = self.document.tree
        if tree is None or node_id not in tree:
            return "the branch"
        return tree.name_of(node_id) if tree.is_leaf(node_id) else \
            f"row {tree.depth(node_id) + 1}"


def install(window: MainWindow) -> BranchCommands:
    return BranchCommands(window)
