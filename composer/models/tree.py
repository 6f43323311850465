"""The conversation tree: every message ever committed, as a tree of nodes; variants and
branches are one mechanism over it.

A node holds one message, its parent (the virtual root ``ROOT`` for a first row), its children
in the order they came, and which child was chosen last (None: the path stops at this node).
The **active path** follows the chosen children from the root; the table shows it. The
**variants** of row ``i`` are the siblings of the active node at row ``i`` (the children of its
parent); stepping to another one continues down that sibling's own chosen children. A
**branch** is a leaf's path; branches may be named (names are keyed by leaf id) and are called
"branch N" otherwise, N counting leaves in tree order.

Invariants:
- A ``Tree`` is a value: no method changes it; the changing ones return a new tree that shares
  the unchanged nodes (a copy of a dict of small frozen nodes), so an undo step can hold a
  snapshot and a 1,000-node tree switches in well under a millisecond.
- Node ids are short strings ("n1", "n2", …) from a counter that never hands one out twice in a
  tree's history, so an id kept by an undo step or a name never comes to mean another node.
- ``commit`` never loses a path: from the first row that differs it adds new sibling nodes, and
  what came after stays as another branch.
- Nothing here walks the tree recursively: a path 100,000 rows deep costs no stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property

from msgspec import Struct
from msgspec.structs import replace

from composer.models.parts import Message

ROOT = ""  # the virtual root: the parent of every first row, never shown, never saved


class TreeError(ValueError):
    """An operation that does not fit the tree (an unknown node, the only branch deleted)."""


class Node(Struct, frozen=True):
    """A value: a change makes a new one (``replace``). A 10,000-row path makes as many at a
    Send: a Struct is made in C (0.1 µs a node; a NamedTuple 0.5, a frozen dataclass 1.5)."""

    id: str
    message: Message | None  # None only for ROOT
    parent: str | None  # None only for ROOT
    children: tuple[str, ...] = ()
    chosen: str | None = None  # the child the active path goes on to; None: it stops here


class Branch(Struct, frozen=True):
    """A leaf's path, as the branches panel lists it."""

    leaf: str
    name: str
    named: bool  # the user named it (else "branch N")
    fork_row: int  # the first row only this branch has (0 when it shares nothing)
    rows: int  # how many rows its path has
    active: bool  # the active path ends at its leaf


class Segment(Struct, frozen=True):
    """A run of nodes between forks: ``start`` .. ``end``, rows ``first_row`` .. ``last_row``.
    ``parent`` is the segment it continues (None for the segments starting at row 0); ``leaf`` is
    ``end`` when the segment ends a branch."""

    start: str
    end: str
    parent: str | None  # the ``end`` of the segment before, or None
    first_row: int
    last_row: int
    on_path: bool
    leaf: str | None


def same(a: Message | None, b: Message | None) -> bool:
    return a is b or a == b


class Tree:
    def __init__(self, nodes: dict[str, Node], names: dict[str, str] | None = None,
                 next_id: int | None = None):
        self._nodes = nodes
        self._names = dict(names or {})
        self._next = next_id if next_id is not None else _next_free(nodes)

    @classmethod
    def empty(cls) -> Tree:
        return cls({ROOT: Node(ROOT, None, None)}, {}, 1)

    @classmethod
    def linear(cls, messages: Sequence[Message]) -> Tree:
        """One path of ``messages``."""
        return cls.empty().commit(messages)[0]

    # -- reading --------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise TreeError(f"no node {node_id!r} in the tree") from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes and node_id != ROOT

    def __len__(self) -> int:
        """How many messages the tree holds."""
        return len(self._nodes) - 1

    def __iter__(self) -> Iterator[Node]:
        """Every node but the root, parents before children, children in order."""
        stack = list(reversed(self._nodes[ROOT].children))
        while stack:
            node = self._nodes[stack.pop()]
            yield node
            stack.extend(reversed(node.children))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return self._names == other._names and self._nodes == other._nodes

    __hash__ = None  # type: ignore[assignment]  (equal by content, and not frozen by Python)

    def __deepcopy__(self, memo: dict) -> Tree:
        return self  # a value: nothing changes it

    def __repr__(self) -> str:
        return f"Tree({len(self)} nodes, {len(self.leaves)} branches, path {list(self.path)})"

    @property
    def names(self) -> dict[str, str]:
        return dict(self._names)

    @property
    def next_id(self) -> int:
        return self._next

    @cached_property
    def path(self) -> tuple[str, ...]:
        """The active path: node ids from the first row on."""
        out = []
        node = self._nodes[ROOT]
        while node.chosen is not None:
            out.append(node.chosen)
            node = self._nodes[node.chosen]
        return tuple(out)

    def messages(self, path: Sequence[str] | None = None) -> list[Message]:
        """The messages of ``path`` (the active path when None)."""
        ids = self.path if path is None else path
        return [self._nodes[i].message for i in ids]  # type: ignore[misc]

    def path_to(self, node_id: str) -> tuple[str, ...]:
        """The ids from the first row down to ``node_id``."""
        out = []
        node = self.node(node_id)
        while node.id != ROOT:
            out.append(node.id)
            node = self._nodes[node.parent]  # type: ignore[index]
        return tuple(reversed(out))

    def depth(self, node_id: str) -> int:
        """The row a node sits at (0 for a first row)."""
        return len(self.path_to(node_id)) - 1

    def parent_at(self, row: int) -> str:
        """The node the active path's row ``row`` hangs from (ROOT for row 0)."""
        path = self.path
        if not 0 <= row <= len(path):
            raise TreeError(f"row {row} is not on the active path (0..{len(path)})")
        return ROOT if row == 0 else path[row - 1]

    def siblings(self, row: int) -> tuple[str, ...]:
        """The variants of row ``row``: the children of its parent on the active path."""
        if row < 0 or row > len(self.path):
            return ()
        return self._nodes[self.parent_at(row)].children

    def variant(self, row: int) -> tuple[int, int]:
        """(index, count) of row ``row``'s variants, index 0-based; (0, 0) off the path."""
        path = self.path
        if not 0 <= row < len(path):
            return 0, 0
        kids = self._nodes[ROOT if row == 0 else path[row - 1]].children
        return kids.index(path[row]), len(kids)

    @cached_property
    def variant_rows(self) -> dict[int, tuple[int, int]]:
        """Row -> (index, count) for every row of the active path that has more than one."""
        out = {}
        parent = ROOT
        for row, node_id in enumerate(self.path):
            kids = self._nodes[parent].children
            if len(kids) > 1:
                out[row] = (kids.index(node_id), len(kids))
            parent = node_id
        return out

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """Each branch's last node, in the tree's order (``__iter__``'s); a run of nodes with
        one child each is walked through without a node iterated for it (every node of a
        10,000-row tree took ~20 ms, at each Send that forked)."""
        nodes, out = self._nodes, []
        stack = list(reversed(nodes[ROOT].children))
        while stack:
            node = nodes[stack.pop()]
            while len(node.children) == 1:
                node = nodes[node.children[0]]
            if node.children:
                stack.extend(reversed(node.children))
            else:
                out.append(node.id)
        return tuple(out)

    def is_leaf(self, node_id: str) -> bool:
        return node_id in self and not self._nodes[node_id].children

    def holds_only(self, messages: Sequence[Message]) -> bool:
        """True when the tree is exactly one path of ``messages`` (so a file need not keep it)."""
        if len(self) != len(messages) or len(self.path) != len(messages):
            return False
        return all(same(self._nodes[i].message, m) for i, m in zip(self.path, messages,
                                                                   strict=True))

    def name_of(self, leaf: str) -> str:
        if leaf in self._names:
            return self._names[leaf]
        try:
            return f"branch {self.leaves.index(leaf) + 1}"
        except ValueError:
            return f"node {leaf}"

    def fork_row(self, leaf: str) -> int:
        """The first row only the branch ending at ``leaf`` has."""
        node = self.node(leaf)
        depth = self.depth(leaf)
        while node.parent is not None and node.parent != ROOT \
                and len(self._nodes[node.parent].children) == 1:
            node = self._nodes[node.parent]
            depth -= 1
        return depth

    def branches(self) -> list[Branch]:
        end = self.path[-1] if self.path else None
        return [Branch(leaf, self.name_of(leaf), leaf in self._names, self.fork_row(leaf),
                       self.depth(leaf) + 1, leaf == end) for leaf in self.leaves]

    def other_branches(self) -> int:
        """How many branches the active path is not (what an export leaves out)."""
        path = self.path
        return len(self.leaves) - (1 if path and self.is_leaf(path[-1]) else 0)

    def segments(self) -> list[Segment]:
        """The tree as runs of nodes between forks, parents before children (for the panel)."""
        return list(self._segments)

    @cached_property
    def _segments(self) -> tuple[Segment, ...]:
        # (Kept: the panel asks at each refresh, and a 10,000-row tree's walk is ~10-30 ms.)
        on_path = set(self.path)
        out: list[Segment] = []
        stack: list[tuple[str, str | None, int]] = [
            (c, None, 0) for c in reversed(self._nodes[ROOT].children)]
        while stack:
            start, parent, row = stack.pop()
            node = self._nodes[start]
            last = row
            while len(node.children) == 1:
                node = self._nodes[node.children[0]]
                last += 1
            out.append(Segment(start, node.id, parent, row, last, start in on_path,
                               None if node.children else node.id))
            stack.extend((c, node.id, last + 1) for c in reversed(node.children))
        return tuple(out)

    # -- changing: each returns a new tree ------------------------------------------------------

    def commit(self, messages: Sequence[Message]) -> tuple[Tree, int | None]:
        """Make the active path equal ``messages``: an existing node is reused where its message
        is equal (the chosen child first, then any sibling); where the path's own node differs
        and nothing came after it (a leaf: the last row edited), it is edited in place; else new
        nodes are added from that row on, and what came after stays as another branch. Returns
        the new tree and the row where it forked (None when nothing was kept aside)."""
        b = _Builder(self)
        parent, fork = ROOT, None
        for row, message in enumerate(messages):
            pnode = b.nodes[parent]
            found = pnode.chosen if pnode.chosen is not None and \
                same(b.nodes[pnode.chosen].message, message) else None
            if found is None:
                found = next((c for c in pnode.children if same(b.nodes[c].message, message)),
                             None)
            if found is None and pnode.chosen is not None \
                    and not b.nodes[pnode.chosen].children:
                found = pnode.chosen
                b.nodes[found] = replace(b.nodes[found], message=message)
            if found is None:  # the rest is new: below a new node there is nothing to reuse
                if pnode.children and fork is None:
                    fork = row
                parent = b.add_chain(parent, messages[row:])
                break
            b.set_chosen(parent, found)
            parent = found
        b.set_chosen(parent, None)
        return b.build(), fork

    def add_variant(self, parent: str, messages: Sequence[Message]) -> tuple[Tree, str]:
        """Add ``messages`` as a new child of ``parent`` (a chain when several: a reply of a
        few messages), make it the active path, and return the tree and the new chain's last
        node. An equal sibling does not stop it: each regenerated reply is kept."""
        if not messages:
            raise TreeError("a variant needs at least one message")
        self.node(parent)
        b = _Builder(self)
        b.choose_path(parent)
        last = b.add_chain(parent, messages)
        return b.build(), last

    def choose(self, row: int, index: int) -> Tree:
        """Make variant ``index`` of row ``row`` the active one."""
        parent = self.parent_at(row)
        kids = self._nodes[parent].children
        if not 0 <= index < len(kids):
            raise TreeError(f"row {row + 1} has {len(kids)} variant(s), not {index + 1}")
        b = _Builder(self)
        b.set_chosen(parent, kids[index])
        return b.build()

    def step(self, row: int, delta: int) -> Tree | None:
        """The tree with row ``row``'s previous (-1) or next (+1) variant chosen; None at
        either end."""
        index, count = self.variant(row)
        if count == 0 or not 0 <= index + delta < count:
            return None
        return self.choose(row, index + delta)

    def switch(self, node_id: str) -> Tree:
        """Make the path to ``node_id`` active (it goes on down that node's chosen children)."""
        b = _Builder(self)
        b.choose_path(node_id)
        return b.build()

    def rename(self, leaf: str, name: str) -> Tree:
        """Name a branch; an empty name gives it back its automatic one."""
        if not self.is_leaf(leaf):
            raise TreeError(f"{leaf!r} does not end a branch")
        b = _Builder(self)
        name = name.strip()
        if name:
            b.names[leaf] = name
        else:
            b.names.pop(leaf, None)
        return b.build()

    def delete_branch(self, leaf: str) -> Tree:
        """Remove the nodes only the branch ending at ``leaf`` has (those after its fork). The
        only branch cannot go. When it was active, the path moves to the next sibling."""
        if not self.is_leaf(leaf):
            raise TreeError(f"{leaf!r} does not end a branch")
        if len(self.leaves) == 1:
            raise TreeError("the only branch cannot be deleted")
        cut = self._nodes[leaf]
        while (cut.parent != ROOT
               and len(self._nodes[cut.parent].children) == 1):  # type: ignore[arg-type]
            cut = self._nodes[cut.parent]  # type: ignore[index]
        b = _Builder(self)
        gone = set(self.path_to(leaf)[self.depth(cut.id):])
        for node_id in gone:
            del b.nodes[node_id]
            b.names.pop(node_id, None)
        parent = b.nodes[cut.parent]  # type: ignore[index]
        index = parent.children.index(cut.id)
        kids = tuple(c for c in parent.children if c != cut.id)
        chosen = parent.chosen
        if chosen == cut.id:
            chosen = kids[min(index, len(kids) - 1)]
        b.nodes[parent.id] = replace(parent, children=kids, chosen=chosen)
        return b.build()

    def promote(self, leaf: str) -> list[Message]:
        """The messages of the branch ending at ``leaf`` (for a conversation of its own)."""
        return self.messages(self.path_to(leaf))


class _Builder:
    """A tree being changed: one copy of the node dict, nodes replaced as they change."""

    def __init__(self, tree: Tree):
        self.nodes = dict(tree._nodes)
        self.names = dict(tree._names)
        self.next = tree._next

    def add_chain(self, parent: str, messages: Sequence[Message]) -> str:
        """``messages`` as a new path below ``parent``, each the chosen child of the one before,
        ``parent``'s new last child and its chosen one; returns the path's last node. Each node
        is made once, with its child, as nodes are values (made, then made again as the next
        was added and chosen, a 10,000-row path took ~60 ms at each send)."""
        ids = [f"n{n}" for n in range(self.next, self.next + len(messages))]
        self.next += len(messages)
        pnode = self.nodes[parent]
        if not pnode.children and parent in self.names:
            self.names[ids[-1]] = self.names.pop(parent)  # the branch grows: its name follows
        self.nodes[parent] = Node(parent, pnode.message, pnode.parent, (*pnode.children, ids[0]),
                                  ids[0])
        nodes = self.nodes
        for up, node_id, down, message in zip([parent, *ids[:-1]], ids, [*ids[1:], None], messages,
                                                  strict=True):
            nodes[node_id] = Node(node_id, message, up, (down,) if down else (), down)
        return ids[-1]

    def set_chosen(self, parent: str, child: str | None) -> None:
        node = self.nodes[parent]
        if node.chosen != child:
            self.nodes[parent] = Node(parent, node.message, node.parent, node.children, child)

    def choose_path(self, node_id: str) -> None:
        """Point every ancestor of ``node_id`` at it."""
        node = self.nodes[node_id]
        while node.parent is not None:
            self.set_chosen(node.parent, node.id)
            node = self.nodes[node.parent]

    def build(self) -> Tree:
        return Tree(self.nodes, self.names, self.next)


def _next_free(nodes: dict[str, Node]) -> int:
    top = 0
    for node_id in nodes:
        if node_id.startswith("n") and node_id[1:].isdigit():
            top = max(top, int(node_id[1:]))
    return top + 1
