"""What the window does with branches and variants, as edits of a Document (pure, no Qt).

The table is the working copy: a plain edit changes a row in place. The tree (tree.py) keeps
what was committed: the window commits the table before it sends (so editing an earlier row
and sending forks the conversation there, the old continuation kept as another branch) and
before it shows another branch or variant (so nothing typed is lost). Each function here
returns the ``SetTree`` edit to push (undoable), or None when there is nothing to do; none of
them changes the document itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct

from composer.models.conversation import Conversation
from composer.models.document import CommitRows, Document, SetTree
from composer.models.parts import Message
from composer.models.tree import Tree, TreeError


class Rows(Struct, frozen=True):
    """What a commit reads of a document, taken to work on elsewhere (on a worker)."""

    tree: Tree | None
    committed_rows: tuple[Message, ...]
    messages: tuple[Message, ...]

    @classmethod
    def of(cls, document: Document) -> Rows:
        return cls(document.tree, document.committed_rows, tuple(document.messages))


# A commit's edit (None: nothing to commit) and the row it forked at (None: it did not).
PlannedCommit = tuple[SetTree | CommitRows | None, int | None]


def planned_commit(rows: Rows) -> PlannedCommit:
    """``commit`` of rows taken from a document, for a worker: a fork at 10,000 rows builds two
    chains of nodes. What the window reads of the new tree next (its path, branches, variant
    rows and the panel's segments) is worked out here too."""
    edit, fork = commit(rows)
    if isinstance(edit, SetTree):
        _ = edit.tree.path, edit.tree.leaves, edit.tree.variant_rows, edit.tree.segments()
    return edit, fork


def base(document: Document | Rows) -> Tree:
    """The document's tree, or the rows last committed as one path when it has none yet."""
    return document.tree if document.tree is not None else Tree.linear(document.committed_rows)


def committed(document: Document | Rows) -> tuple[Tree, int | None]:
    """The tree with the table committed, and the row it forked at (None: no new branch)."""
    tree = document.tree
    if tree is not None and _path_is(tree, document.messages):
        return tree, None
    return base(document).commit(document.messages)


def commit(document: Document | Rows) -> tuple[SetTree | CommitRows | None, int | None]:
    """The edit that commits the table (None when the tree holds it already) and the fork row.
    While the conversation has one path it stays without a tree (``CommitRows``)."""
    if document.tree is None and _same(document.committed_rows, document.messages):
        return None, None
    if _grows(document, document.messages):
        return CommitRows(tuple(document.messages)), None
    tree, fork = committed(document)
    if tree is document.tree:
        return None, None
    return _committing(document, tree, document.messages), fork


def _committing(document: Document | Rows, tree: Tree,
                rows: Sequence[Message]) -> SetTree | CommitRows:
    if document.tree is None and tree.holds_only(rows):
        return CommitRows(tuple(rows))
    return SetTree(tree)


def commit_rows(document: Document, count: int) -> SetTree | CommitRows | None:
    """The edit that commits the table's first ``count`` rows when that only extends the
    committed path (a reply just kept); None when it would fork or there is nothing new: a
    row edited meanwhile forks at the next send, not by itself."""
    rows = document.messages[:count]
    if document.tree is None and _same(document.committed_rows, rows):
        return None
    if _grows(document, rows):
        return CommitRows(tuple(rows))
    tree = base(document)
    if _path_is(tree, rows):
        return None
    new, fork = tree.commit(rows)
    return None if fork is not None else _committing(document, new, rows)


def _show(tree: Tree) -> SetTree:
    return SetTree(tree, tuple(tree.messages()))


def variant_at(document: Document, row: int) -> tuple[int, int]:
    """(index, count) of row ``row``'s variants; count is 0 or 1 when it has none to step."""
    tree = document.tree
    if tree is None:
        return 0, 0
    return tree.variant_rows.get(row, (0, 0))


def step(document: Document, row: int, delta: int) -> SetTree | None:
    """Show row ``row``'s previous (-1) or next (+1) variant, the table committed first."""
    tree, _ = committed(document)
    stepped = tree.step(row, delta)
    return None if stepped is None else _show(stepped)


def choose(document: Document, row: int, index: int) -> SetTree:
    tree, _ = committed(document)
    return _show(tree.choose(row, index))


def switch(document: Document, node_id: str) -> SetTree | None:
    """Show the branch through ``node_id`` (a leaf: that branch), the table committed first."""
    tree, _ = committed(document)
    switched = tree.switch(node_id)
    if switched.path == tree.path and _path_is(switched, document.messages):
        return None
    return _show(switched)


def rename(document: Document, leaf: str, name: str) -> SetTree | None:
    tree = base(document)
    renamed = tree.rename(leaf, name)
    return None if renamed.names == tree.names else SetTree(renamed)


def delete(document: Document, leaf: str) -> SetTree:
    """Remove a branch (what only it has); the table is committed first, so when the branch
    deleted is another one the table stays as it is."""
    tree, _ = committed(document)
    return _show(tree.delete_branch(leaf))


def parent_for(document: Document, row: int) -> str:
    """The node a reply to rows ``0..row-1`` hangs from, the table committed (for a
    regenerate: remember it before sending, so edits meanwhile do not move the reply)."""
    tree, _ = committed(document)
    return tree.parent_at(min(row, len(tree.path)))


def keep_variants(document: Document, replies: Sequence[Sequence[Message]], chosen: int,
                  parent: str | None = None) -> SetTree:
    """Keep each reply (its messages) as a variant under ``parent`` (the table's last row when
    None: the next turn) and show reply ``chosen``. The table is committed first."""
    if not replies or not 0 <= chosen < len(replies):
        raise TreeError(f"reply {chosen + 1} of {len(replies)} cannot be chosen")
    tree, _ = committed(document)
    if parent is None:
        parent = tree.parent_at(len(tree.path))
    leaves = []
    for reply in replies:
        tree, leaf = tree.add_variant(parent, reply)
        leaves.append(leaf)
    return _show(tree.switch(leaves[chosen]))


def promote(document: Document, leaf: str) -> Conversation:
    """A new conversation of the branch ending at ``leaf``, with the document's settings."""
    tree, _ = committed(document)
    conversation = document.conversation
    return Conversation(messages=tree.promote(leaf), settings=conversation.settings.model_copy(
        deep=True))


def _path_is(tree: Tree, messages: Sequence[Message]) -> bool:
    return len(tree.path) == len(messages) and _same(tree.messages(), messages)


def _grows(document: Document | Rows, rows: Sequence[Message]) -> bool:
    """``rows`` are the one committed path with rows added after it (the usual send, a reply
    kept): it grows, without a tree of it built twice to find that out (~100 ms at 10,000)."""
    committed_rows = document.committed_rows
    return (document.tree is None and len(rows) > len(committed_rows)
            and _same(committed_rows, rows[:len(committed_rows)]))


def _same(a: Sequence[Message], b: Sequence[Message]) -> bool:
    return len(a) == len(b) and all(m is n or m == n for m, n in zip(a, b, strict=True))
