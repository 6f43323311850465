"""The branches panel: the conversation tree as runs of rows between forks, each branch named,
the active path in bold. It shows a ``Tree`` and asks for changes by signal; the commands
(commands.py) make them, as undoable edits.

One click on a branch switches to it; F2 renames it in place, Delete deletes it (undoable),
"Promote" makes it a conversation of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.models.tree import Segment, Tree
from composer.views import theme
from composer.views.short_text import one_line
from composer.views.wrapped_label import WrappedLabel

NodeRole = Qt.ItemDataRole.UserRole  # the node a click switches to (the segment's last)
LeafRole = Qt.ItemDataRole.UserRole + 1  # the branch's leaf when the segment ends one
NAME, ROWS, STARTS = range(3)
HINT = ("One path so far. Regenerate a reply (Ctrl+R), or edit an earlier row and send, "
        "and the other path is kept here as a branch.")


class BranchesPanel(QWidget):
    switch_requested = Signal(str)  # a node id: show the path through it
    rename_requested = Signal(str, str)  # leaf, new name ("" gives back the automatic one)
    delete_requested = Signal(str)  # leaf
    promote_requested = Signal(str)  # leaf

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Branches")
        self.view = QTreeWidget()
        self.view.setColumnCount(3)
        self.view.setHeaderLabels(["Branch", "Rows", "Starts with"])
        self.view.setAccessibleName("Conversation tree")
        self.view.setUniformRowHeights(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.view.header()
        header.setStretchLastSection(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.hint = WrappedLabel(HINT)
        self.hint.setEnabled(False)
        self.rename_action = self._action("&Rename Branch", "F2", self.rename_current)
        self.delete_action = self._action("&Delete Branch", None,
                                          self._on_delete_action_triggered)
        # Delete is the table's Delete Rows key too: here a shortcut of the tree view alone,
        # so no two commands share the key.
        self.delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        self.delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_key.activated.connect(self._on_delete_action_triggered)
        self.delete_key.setObjectName("delete-branch")
        self.delete_action.setToolTip("Delete the branch (Del); Undo brings it back")
        self.promote_action = self._action("&Promote to New Conversation", None,
                                           self._on_promote_action_triggered)
        # The buttons' words (the menus keep the whole text): the three fit the dock's 300 px.
        self.rename_action.setIconText("Rename")
        self.delete_action.setIconText("Delete")
        self.promote_action.setIconText("Promote")
        buttons = QHBoxLayout()
        for action in (self.rename_action, self.delete_action, self.promote_action):
            button = QToolButton()
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self._showing = False  # filling the view: its itemChanged is ours, not a rename
        self._shape: list[tuple] = []  # what the items show, to tell a switch from a change
        self.view.itemClicked.connect(self._on_view_item_clicked)
        self.view.itemActivated.connect(self._on_view_item_clicked)
        self.view.itemChanged.connect(self._on_view_item_changed)
        self.view.currentItemChanged.connect(self._update_actions)
        self.show_tree(None)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, super().sizeHint().height())

    def _action(self, text: str, key, slot) -> QAction:
        action = QAction(text, self)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.view.addAction(action)
        return action

    # -- showing --------------------------------------------------------------------------------

    def show_tree(self, tree: Tree | None) -> None:
        """Show ``tree`` (None: the table is the only path), keeping the selected branch, or
        the active one when the selection was on the active path. When only the active path
        moved (a switch, a step), the items stay and only the bold moves."""
        segments = tree.segments() if tree is not None else []
        shape = [(s.start, s.end, s.parent,
                  s.leaf and tree.name_of(s.leaf))  # type: ignore[union-attr]
                 for s in segments]
        if shape == self._shape and shape:
            self._mark_path(segments)
            return
        self._shape = shape
        keep = self.current_node()
        # A selection on the active path follows it (a fork below it, a kept reply); another
        # branch stays selected.
        current = self.view.currentItem()
        if current is not None and current.font(ROWS).bold():
            keep = None
        self._showing = True
        try:
            self.view.clear()
            items: dict[str, QTreeWidgetItem] = {}
            for segment in segments:
                item = self._item(tree, segment)  # type: ignore[arg-type]
                parent = items.get(segment.parent) if segment.parent else None
                if parent is None:
                    self.view.addTopLevelItem(item)
                else:
                    parent.addChild(item)
                items[segment.end] = item
            self.view.expandAll()
            # Measured once here: a column sized to its contents re-measures every item at
            # each change (a font made bold on a switch).
            for column in (NAME, ROWS):
                self.view.resizeColumnToContents(column)
            found = items.get(keep) if keep else None
            if found is None and tree is not None and tree.path:
                found = next((items[s.end] for s in reversed(segments) if s.on_path), None)
            if found is not None:
                self.view.setCurrentItem(found)
        finally:
            self._showing = False
        branching = tree is not None and len(tree.leaves) > 1
        self.hint.setVisible(not branching)
        self._update_actions()

    def _item(self, tree: Tree, segment: Segment) -> QTreeWidgetItem:
        start = tree.node(segment.start).message
        rows = (f"{segment.first_row + 1}" if segment.first_row == segment.last_row
                else f"{segment.first_row + 1}–{segment.last_row + 1}")
        name = tree.name_of(segment.leaf) if segment.leaf else "shared"
        preview = f"{start.role}: {one_line(start.plain_text, 80)}" if start else ""
        item = QTreeWidgetItem([name, rows, preview])
        item.setData(NAME, NodeRole, segment.end)
        item.setData(NAME, LeafRole, segment.leaf)
        item.setToolTip(STARTS, one_line(start.plain_text, 400) if start else "")
        if segment.leaf:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        else:
            item.setForeground(NAME, QBrush(QColor(theme.colour("muted"))))
        self._set_active(item, segment.on_path)
        return item

    def _set_active(self, item: QTreeWidgetItem, active: bool) -> None:
        """Bold on the active path (a shared run in italics, as it is no branch of its own)."""
        leaf = item.data(NAME, LeafRole)
        for column in (NAME, ROWS, STARTS):
            font = QFont(self.view.font())
            font.setBold(active)
            font.setItalic(column == NAME and not leaf)
            item.setFont(column, font)
        name = item.text(NAME)
        where = "the active branch" if leaf else "the active path"
        item.setToolTip(NAME, f"On {where}" if active else "")
        item.setData(NAME, Qt.ItemDataRole.AccessibleTextRole,
                     f"{name}, active" if active else name)

    def _mark_path(self, segments: list[Segment]) -> None:
        ends = [s.end for s in segments if s.on_path]  # root first
        on_path = set(ends)
        current = self.view.currentItem()
        follow = current is not None and current.font(ROWS).bold()
        self._showing = True
        try:
            for item in self._items():
                active = item.data(NAME, NodeRole) in on_path
                if item.font(ROWS).bold() != active:
                    self._set_active(item, active)
            if follow and ends and current.data(NAME, NodeRole) not in on_path:
                self.view.setCurrentItem(self.item_for(ends[-1]))
        finally:
            self._showing = False
        self._update_actions()

    # -- reading --------------------------------------------------------------------------------

    def current_node(self) -> str | None:
        item = self.view.currentItem()
        return item.data(NAME, NodeRole) if item is not None else None

    def current_leaf(self) -> str | None:
        item = self.view.currentItem()
        return item.data(NAME, LeafRole) if item is not None else None

    def item_for(self, node_id: str) -> QTreeWidgetItem | None:
        for item in self._items():
            if item.data(NAME, NodeRole) == node_id:
                return item
        return None

    def _items(self) -> list[QTreeWidgetItem]:
        out, stack = [], [self.view.topLevelItem(i) for i in range(self.view.topLevelItemCount())]
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return out

    # -- acting ---------------------------------------------------------------------------------

    def rename_current(self) -> None:
        item = self.view.currentItem()
        if item is not None and item.data(NAME, LeafRole):
            self.view.editItem(item, NAME)

    def _update_actions(self, *_args) -> None:
        leaf = self.current_leaf()
        several = sum(1 for i in self._items() if i.data(NAME, LeafRole)) > 1
        self.rename_action.setEnabled(bool(leaf))
        self.delete_action.setEnabled(bool(leaf) and several)
        self.promote_action.setEnabled(bool(leaf))

    def _on_view_item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node = item.data(NAME, NodeRole)
        if node:
            self.switch_requested.emit(node)

    def _on_view_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        leaf = item.data(NAME, LeafRole)
        if self._showing or column != NAME or not leaf:
            return
        self.rename_requested.emit(leaf, item.text(NAME))

    def _on_delete_action_triggered(self) -> None:
        leaf = self.current_leaf()
        if leaf:
            self.delete_requested.emit(leaf)

    def _on_promote_action_triggered(self) -> None:
        leaf = self.current_leaf()
        if leaf:
            self.promote_requested.emit(leaf)
