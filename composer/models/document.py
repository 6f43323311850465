"""The document being edited: a Conversation plus a stable id per row.

Edits are data (small frozen msgspec Structs) and ``Document.apply(edit)`` is the one place the
messages change; it returns the inverse edit, so undo is "apply the inverse" and can be tested
without Qt. Messages are values: an edit never mutates a Message, it replaces it.

Invariants:
- ``document.conversation`` is the live Conversation (no second copy); ``len(ids) == len(messages)``
  and ids are unique. An id survives moves, and undoing a removal brings the same id back.
- The conversation tree (tree.py) lives on the conversation; ``SetTree`` changes it and the
  rows together, so switching a branch or stepping a variant is one edit and undoes as one.
- Observers are told twice about structural changes: ``before`` callbacks run before the list
  changes (a Qt model calls ``beginInsertRows`` there), plain callbacks after. Every structural
  notice describes one contiguous step, so it maps onto one begin/end pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

from msgspec import Struct

from composer.models.conversation import Conversation
from composer.models.parts import Message, Role, TextPart
from composer.models.settings import RequestSettings
from composer.models.tree import Tree

# -- edits ------------------------------------------------------------------------------------


class InsertRows(Struct, frozen=True):
    """Insert ``messages`` so the first lands at ``index``; ``ids`` restores rows on undo."""

    index: int
    messages: tuple[Message, ...]
    ids: tuple[int, ...] | None = None


class RemoveRows(Struct, frozen=True):
    indices: tuple[int, ...]


class MoveRows(Struct, frozen=True):
    """Move the rows at ``indices`` (any set) to sit, in order, where ``dest`` was before the move.

    ``dest`` is a pre-move insertion index in 0..len, as Qt's ``beginMoveRows`` wants it.
    """

    indices: tuple[int, ...]
    dest: int


class ReplaceMessage(Struct, frozen=True):
    index: int
    message: Message


class ReplaceAll(Struct, frozen=True):
    conversation: Conversation
    ids: tuple[int, ...] | None = None


class Permute(Struct, frozen=True):
    """Reorder every row at once: new row ``i`` is old row ``order[i]`` (big scattered moves)."""

    order: tuple[int, ...]


class SetTree(Struct, frozen=True):
    """Set the conversation tree and, unless ``messages`` is None, the rows with it: the rows
    the new ones share at the start stay (with their ids), the rest are replaced. ``ids``
    restores the rows' ids on undo."""

    tree: Tree | None
    messages: tuple[Message, ...] | None = None
    ids: tuple[int, ...] | None = None


class CommitRows(Struct, frozen=True):
    """While there is no tree: remember ``rows`` as committed (sent), so that a row edited
    since and sent again forks the conversation there. Nothing the user sees changes."""

    rows: tuple[Message, ...]


class EditGroup(Struct, frozen=True):
    """Several edits applied in order as one (the inverse of a scattered removal or move)."""

    edits: tuple[Edit, ...] = ()


Edit = (InsertRows | RemoveRows | MoveRows | ReplaceMessage | ReplaceAll | Permute | SetTree
        | CommitRows | EditGroup)

# -- notices ----------------------------------------------------------------------------------


class RowsInserted(Struct, frozen=True):
    index: int
    count: int


class RowsRemoved(Struct, frozen=True):
    indices: tuple[int, ...]  # contiguous and ascending

    @property
    def first(self) -> int:
        return self.indices[0]

    @property
    def last(self) -> int:
        return self.indices[-1]


class RowsMoved(Struct, frozen=True):
    """Rows ``start..start+count-1`` moved to before pre-move row ``dest``."""

    start: int
    count: int
    dest: int


class RowsReordered(Struct, frozen=True):
    """Every row may have moved: new row ``i`` is old row ``order[i]`` (a Qt layout change)."""

    order: tuple[int, ...]


class RowChanged(Struct, frozen=True):
    index: int


class Reset(Struct, frozen=True):
    pass


class SettingsChanged(Struct, frozen=True):
    pass


class TreeChanged(Struct, frozen=True):
    """The conversation tree changed (branches, names, which variant is shown)."""


Notice = (RowsInserted | RowsRemoved | RowsMoved | RowsReordered | RowChanged | Reset
          | SettingsChanged | TreeChanged)
Callback = Callable[[Notice], None]


class EditError(ValueError):
    """An edit that does not fit the document (an index out of range): a bug in the caller."""


_next_id = itertools.count(1).__next__
# A scattered move of more rows than this is one reorder instead of a row-by-row sequence
# (each step of which costs the Qt views O(rows)).
STEPWISE_MOVE_LIMIT = 8


class Document:
    def __init__(self, conversation: Conversation | None = None):
        self.conversation = conversation if conversation is not None else Conversation()
        self._ids: list[int] = [_next_id() for _ in self.conversation.messages]
        self._committed = tuple(self.conversation.messages)
        self.revision = 0  # one more at each edit applied: what was read of it is current
        self._after: list[Callback] = []
        self._before: list[Callback] = []

    # -- reading ------------------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        return self.conversation.messages

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def message(self, index: int) -> Message:
        return self.conversation.messages[index]

    @property
    def tree(self) -> Tree | None:
        """The conversation tree; None while the table has been the only path."""
        return self.conversation.tree

    @property
    def committed_rows(self) -> tuple[Message, ...]:
        """While there is no tree: the rows as opened or last sent (a row edited since, and
        sent, forks the conversation there)."""
        return self._committed

    def row_id(self, index: int) -> int:
        return self._ids[index]

    def index_of(self, row_id: int) -> int | None:
        try:
            return self._ids.index(row_id)
        except ValueError:
            return None

    # -- observers ----------------------------------------------------------------------------

    def subscribe(self, callback: Callback, *, before: Callback | None = None) -> None:
        """``callback`` hears of every change after it happens; ``before`` just before it."""
        self._after.append(callback)
        if before is not None:
            self._before.append(before)

    def unsubscribe(self, callback: Callback, *, before: Callback | None = None) -> None:
        if callback in self._after:
            self._after.remove(callback)
        if before is not None and before in self._before:
            self._before.remove(before)

    def _notify_before(self, notice: Notice) -> None:
        for cb in list(self._before):
            cb(notice)

    def _notify(self, notice: Notice) -> None:
        for cb in list(self._after):
            cb(notice)

    # -- settings (not undoable) --------------------------------------------------------------

    def set_settings(self, settings: RequestSettings) -> None:
        self.conversation.settings = settings
        self._notify(SettingsChanged())

    def set_variables(self, values: dict[str, str]) -> None:
        """The values the conversation's {{variables}} are sent with."""
        self.conversation.composer.variables = dict(values) or None
        self._notify(SettingsChanged())

    # -- the one way messages change ----------------------------------------------------------

    def apply(self, edit: Edit) -> Edit:
        """Apply ``edit`` and return the edit that undoes it. Raises EditError before any change
        when the edit does not fit."""
        self._check(edit)
        return self._apply(edit)

    def _check(self, edit: Edit) -> None:
        n = len(self._ids)
        match edit:
            case InsertRows(index=i, messages=msgs, ids=ids):
                if not 0 <= i <= n:
                    raise EditError(f"insert at {i} outside 0..{n}")
                if ids is not None and (len(ids) != len(msgs) or set(ids) & set(self._ids)):
                    raise EditError("insert ids must match the messages and be new")
            case RemoveRows(indices=idx) | MoveRows(indices=idx):
                if any(not 0 <= i < n for i in idx) or len(set(idx)) != len(idx):
                    raise EditError(f"row indices {idx} outside 0..{n - 1} or repeated")
                if isinstance(edit, MoveRows) and not 0 <= edit.dest <= n:
                    raise EditError(f"move destination {edit.dest} outside 0..{n}")
            case ReplaceMessage(index=i):
                if not 0 <= i < n:
                    raise EditError(f"row {i} outside 0..{n - 1}")
            case ReplaceAll(conversation=c, ids=ids):
                if ids is not None and len(ids) != len(c.messages):
                    raise EditError("ReplaceAll ids must match the messages")
            case Permute(order=order):
                if sorted(order) != list(range(n)):
                    raise EditError(f"reorder {order[:10]}… is not a permutation of 0..{n - 1}")
            case SetTree(messages=msgs, ids=ids):
                if ids is not None and (msgs is None or len(ids) != len(msgs)):
                    raise EditError("SetTree ids must match the messages")
            case EditGroup():
                pass  # each step is checked as it runs; groups only come from our own inverses

    def _apply(self, edit: Edit) -> Edit:
        self.revision += 1
        match edit:
            case InsertRows():
                return self._insert(edit.index, edit.messages, edit.ids)
            case RemoveRows():
                return self._remove(edit.indices)
            case MoveRows():
                return self._move(edit.indices, edit.dest)
            case ReplaceMessage():
                old = self.conversation.messages[edit.index]
                self.conversation.messages[edit.index] = edit.message
                self._notify(RowChanged(edit.index))
                return ReplaceMessage(edit.index, old)
            case ReplaceAll():
                return self._replace_all(edit.conversation, edit.ids)
            case Permute():
                return self._permute(edit.order)
            case SetTree():
                return self._set_tree(edit)
            case CommitRows():
                old_rows, self._committed = self._committed, tuple(edit.rows)
                return CommitRows(old_rows)
            case EditGroup():
                inverses = [self.apply(e) for e in edit.edits]
                return EditGroup(tuple(reversed(inverses)))
        raise EditError(f"not an edit: {edit!r}")

    def _insert(self, index: int, messages: Sequence[Message], ids: Sequence[int] | None) -> Edit:
        if not messages:
            return EditGroup()
        new_ids = list(ids) if ids is not None else [_next_id() for _ in messages]
        notice = RowsInserted(index, len(messages))
        self._notify_before(notice)
        self.conversation.messages[index:index] = list(messages)
        self._ids[index:index] = new_ids
        self._notify(notice)
        return RemoveRows(tuple(range(index, index + len(messages))))

    def _remove(self, indices: Iterable[int]) -> Edit:
        runs = contiguous_runs(sorted(indices))
        restores: list[Edit] = []
        # Last run first, so the earlier runs' indices stay valid.
        for start, count in reversed(runs):
            stop = start + count
            notice = RowsRemoved(tuple(range(start, stop)))
            self._notify_before(notice)
            msgs = tuple(self.conversation.messages[start:stop])
            ids = tuple(self._ids[start:stop])
            del self.conversation.messages[start:stop]
            del self._ids[start:stop]
            self._notify(notice)
            restores.append(InsertRows(start, msgs, ids))
        # Re-inserting in ascending order puts every row back at its old index.
        restores.reverse()
        return restores[0] if len(restores) == 1 else EditGroup(tuple(restores))

    def _move_one(self, start: int, count: int, dest: int) -> Edit | None:
        """Move one contiguous block; returns the single-block move that undoes it."""
        if start <= dest <= start + count:
            return None  # a no-op, which beginMoveRows would refuse
        notice = RowsMoved(start, count, dest)
        self._notify_before(notice)
        msgs = self.conversation.messages
        block_m, block_i = msgs[start:start + count], self._ids[start:start + count]
        del msgs[start:start + count]
        del self._ids[start:start + count]
        at = dest if dest < start else dest - count
        msgs[at:at] = block_m
        self._ids[at:at] = block_i
        self._notify(notice)
        back = start if dest > start else start + count
        return MoveRows(tuple(range(at, at + count)), back)

    def _permute(self, order: Sequence[int]) -> Edit:
        notice = RowsReordered(tuple(order))
        self._notify_before(notice)
        msgs = self.conversation.messages
        msgs[:] = [msgs[i] for i in order]
        self._ids[:] = [self._ids[i] for i in order]
        self._notify(notice)
        inverse = [0] * len(order)
        for new, old in enumerate(order):
            inverse[old] = new
        return Permute(tuple(inverse))

    def _move(self, indices: Iterable[int], dest: int) -> Edit:
        idx = sorted(indices)
        if len(idx) > STEPWISE_MOVE_LIMIT and len(contiguous_runs(idx)) > 1:
            moved = set(idx)
            rest = [i for i in range(len(self._ids)) if i not in moved]
            k = dest - sum(1 for i in idx if i < dest)
            return self._permute([*rest[:k], *idx, *rest[k:]])
        down = [i for i in idx if i < dest]
        up = [i for i in idx if i >= dest]
        inverses: list[Edit] = []
        # Rows above dest go, last first, to just above dest; rows below it, first first, to
        # dest onward. Neither pass disturbs rows the other already placed.
        for k, i in enumerate(reversed(down)):
            inv = self._move_one(i, 1, dest - k)
            if inv is not None:
                inverses.append(inv)
        for k, i in enumerate(up):
            inv = self._move_one(i, 1, dest + k)
            if inv is not None:
                inverses.append(inv)
        inverses.reverse()
        return inverses[0] if len(inverses) == 1 else EditGroup(tuple(inverses))

    def _set_tree(self, edit: SetTree) -> Edit:
        old_tree = self.conversation.tree
        if edit.messages is None:
            self.conversation.set_tree(edit.tree)
            self._notify(TreeChanged())
            return SetTree(old_tree)
        old_msgs, old_ids = tuple(self.conversation.messages), tuple(self._ids)
        new = edit.messages
        keep = 0
        # Rows the new ones start with stay as they are: their ids, the selection on them.
        while keep < min(len(old_msgs), len(new)) and (
                edit.ids is None or edit.ids[keep] == old_ids[keep]) \
                and (old_msgs[keep] is new[keep] or old_msgs[keep] == new[keep]):
            keep += 1
        if keep < len(old_msgs):
            notice = RowsRemoved(tuple(range(keep, len(old_msgs))))
            self._notify_before(notice)
            del self.conversation.messages[keep:]
            del self._ids[keep:]
            self._notify(notice)
        self.conversation.set_tree(edit.tree)
        if keep < len(new):
            added = RowsInserted(keep, len(new) - keep)
            self._notify_before(added)
            self.conversation.messages.extend(new[keep:])
            self._ids.extend(edit.ids[keep:] if edit.ids is not None
                             else [_next_id() for _ in new[keep:]])
            self._notify(added)
        self._notify(TreeChanged())
        return SetTree(old_tree, old_msgs, old_ids)

    def _replace_all(self, conversation: Conversation, ids: Sequence[int] | None) -> Edit:
        old = self.conversation.model_copy(update={"messages": list(self.conversation.messages)})
        old_ids = tuple(self._ids)
        self._notify_before(Reset())
        # Copy the fields into the live object, so whoever holds document.conversation stays
        # current; the edit's own list is copied so later edits never reach into it.
        for name in conversation.__struct_fields__:
            setattr(self.conversation, name, getattr(conversation, name))
        self.conversation.messages = list(conversation.messages)
        self.conversation.set_tree(conversation.tree)
        self.conversation._extra = dict(conversation._extra) if conversation._extra else None
        self._ids = list(ids) if ids is not None else [_next_id() for _ in conversation.messages]
        self._committed = tuple(conversation.messages)
        self._notify(Reset())
        self._notify(SettingsChanged())
        self._notify(TreeChanged())
        return ReplaceAll(old, old_ids)


def contiguous_runs(sorted_indices: Sequence[int]) -> list[tuple[int, int]]:
    """[(start, count), ...] for ascending indices: [1, 2, 3, 7] -> [(1, 3), (7, 1)]."""
    runs: list[tuple[int, int]] = []
    for i in sorted_indices:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


# -- message helpers the editors share --------------------------------------------------------


def with_text(message: Message, text: str) -> Message:
    """The message with its text replaced: the first text part takes ``text`` (keeping its
    metadata), other text parts go; with no text part, one is added before any non-reasoning
    part. Other parts are kept as they are."""
    parts = list(message.parts)
    first = next((i for i, p in enumerate(parts) if isinstance(p, TextPart)), None)
    if first is None:
        if not text:
            return message
        at = next((i for i, p in enumerate(parts) if p.type != "reasoning"), len(parts))
        parts.insert(at, TextPart(text=text))
    else:
        parts[first] = parts[first].model_copy(update={"text": text})
        parts = [p for i, p in enumerate(parts) if i == first or not isinstance(p, TextPart)]
    return message.model_copy(update={"parts": parts})


def with_role(message: Message, role: Role) -> Message:
    return message.model_copy(update={"role": role})
