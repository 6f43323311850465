"""Two JSON values compared field by field: what changed is named by its path
(``location.city``, ``items[2]``, ``["odd key"]``; ``$`` for the whole value), not by a line.

An object is compared key by key (the first value's keys in order, then the keys only the
second has). An array of the same length is compared item by item; otherwise the items are
aligned first, so one item added at the front is one addition, not a change to every item.
``true`` and ``1`` are different values, as in JSON (Python calls them equal).

Hostile input stays cheap: no recursion (a value nested as deep as the parser allows is a
loop), and after ``MAX_CHANGES`` changes the rest are counted, not listed.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Literal

from msgspec import Struct, field

from composer.models import jsontext

Change = Literal["added", "removed", "changed"]
MAX_CHANGES = 500
MAX_DEPTH = 2 * jsontext.MAX_DEPTH
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# json.dumps with these options would build an encoder per value: an array of 100,000 values
# is written one value at a time.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class FieldChange(Struct, frozen=True):
    path: str
    change: Change
    old: Any = None  # the value in the first (absent when added)
    new: Any = None  # the value in the second (absent when removed)


class FieldChanges(Struct):
    """The changes in document order; ``more`` counts those past MAX_CHANGES, not listed."""

    changes: list[FieldChange] = field(default_factory=list)
    more: int = 0

    def __bool__(self) -> bool:
        return bool(self.changes) or self.more > 0

    def __len__(self) -> int:
        return len(self.changes) + self.more


def path_text(path: tuple[str | int, ...]) -> str:
    if not path:
        return "$"
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _IDENTIFIER.fullmatch(step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(out)


def canonical(value: Any) -> str:
    """One text per JSON value: equal texts, equal values (``true`` is not ``1``). A value that
    cannot be written (nested past the interpreter's limit) gets a text of its own."""
    try:
        return _CANONICAL.encode(value)
    except (TypeError, ValueError, RecursionError):
        return f"<unwritable {id(value)}>"


def same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        if isinstance(a, dict | list):
            return a == b and canonical(a) == canonical(b)
        return bool(a == b)
    except RecursionError:  # nested past the interpreter's limit: compared level by level
        return False


def diff_json(a: Any, b: Any) -> FieldChanges:
    """The changes that turn ``a`` into ``b``, each at its path."""
    out = FieldChanges()
    # A stack of work in reverse document order: (path, a, b), or a finished change.
    stack: list[tuple[tuple[str | int, ...], Any, Any] | FieldChange] = [((), a, b)]
    while stack:
        item = stack.pop()
        if isinstance(item, FieldChange):
            _add(out, item)
            continue
        path, x, y = item
        if same(x, y):
            continue
        if len(out.changes) >= MAX_CHANGES:
            out.more += 1  # one more place that differs (its inside is not looked into)
            continue
        if len(path) >= MAX_DEPTH:  # deeper than any file holds: one change for the rest
            _add(out, FieldChange(path_text(path), "changed", x, y))
        elif isinstance(x, dict) and isinstance(y, dict):
            stack += reversed(_object_steps(path, x, y))
        elif isinstance(x, list) and isinstance(y, list):
            stack += reversed(_array_steps(path, x, y))
        else:
            _add(out, FieldChange(path_text(path), "changed", x, y))
    return out


def _add(out: FieldChanges, change: FieldChange) -> None:
    if len(out.changes) < MAX_CHANGES:
        out.changes.append(change)
    else:
        out.more += 1


Step = tuple[tuple[str | int, ...], Any, Any] | FieldChange


def _object_steps(path: tuple[str | int, ...], x: dict, y: dict) -> list[Step]:
    steps: list[Step] = []
    for key, value in x.items():
        if key in y:
            steps.append(((*path, key), value, y[key]))
        else:
            steps.append(FieldChange(path_text((*path, key)), "removed", old=value))
    for key, value in y.items():
        if key not in x:
            steps.append(FieldChange(path_text((*path, key)), "added", new=value))
    return steps


def _array_steps(path: tuple[str | int, ...], x: list, y: list) -> list[Step]:
    if len(x) == len(y):
        return [((*path, i), u, v) for i, (u, v) in enumerate(zip(x, y, strict=True))]
    ca, cb = [canonical(v) for v in x], [canonical(v) for v in y]
    head = 0
    while head < min(len(ca), len(cb)) and ca[head] == cb[head]:
        head += 1
    tail = 0
    while tail < min(len(ca), len(cb)) - head and ca[-1 - tail] == cb[-1 - tail]:
        tail += 1
    steps: list[Step] = []
    matcher = difflib.SequenceMatcher(None, ca[head:len(ca) - tail], cb[head:len(cb) - tail])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):  # changed in place: compare inside
            steps.append(((*path, j1 + k), x[i1 + k], y[j1 + k]))
        for i in range(i1 + paired, i2):
            steps.append(FieldChange(path_text((*path, i)), "removed", old=x[i]))
        for j in range(j1 + paired, j2):
            steps.append(FieldChange(path_text((*path, j)), "added", new=y[j]))
    return steps


def value_text(value: Any, limit: int = 120) -> str:
    """A JSON value on one line for showing, cut to ``limit`` characters with "…"."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = f"({jsontext.json_kind(value)} nested too deep to show)"
    return text if len(text) <= limit else text[:limit - 1] + "…"
