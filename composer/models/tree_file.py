"""The conversation tree in the conversation file: ``composer.tree`` (format version 2).

::

    "tree": {
      "nodes": [{"id": "n1", "parent": null, "row": 0},
                {"id": "n2", "parent": "n1", "message": {...}, "chosen": "n4"}, ...],
      "chosen": "n1",                 the first row's node on the active path (null: no rows)
      "names": {"n7": "shorter intro"} branch names, keyed by the branch's last node
    }

Nodes come parents first, children in order. A node whose message equals the file's own
``messages[i]`` (the table) says ``"row": i`` instead of repeating it. ``chosen`` is the child
the active path goes on to; left out, it is the first child (a node with children), or null.

Reading checks everything a hand-edited or hostile file could get wrong and fails at the first
problem with one ``FormatError`` naming where (``$.composer.tree.nodes[3].parent``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from composer.models.errors import FormatError
from composer.models.formats._reader import at, need
from composer.models.parts import Message
from composer.models.tree import ROOT, Node, Tree, same

LOCATION = "$.composer.tree"


def to_data(tree: Tree, rows: Sequence[Message]) -> dict[str, Any]:
    """The tree as the file holds it, beside ``rows`` (the table)."""
    nodes = []
    depth = {ROOT: -1}
    for node in tree:
        row = depth[node.parent] + 1  # type: ignore[index]
        depth[node.id] = row
        item: dict[str, Any] = {"id": node.id,
                                "parent": None if node.parent == ROOT else node.parent}
        if row < len(rows) and same(rows[row], node.message):
            item["row"] = row
        else:
            item["message"] = node.message.to_dict()  # type: ignore[union-attr]
        if node.chosen != (node.children[0] if node.children else None):
            item["chosen"] = node.chosen
        nodes.append(item)
    data: dict[str, Any] = {"nodes": nodes, "chosen": tree.node(ROOT).chosen}
    if tree.names:
        data["names"] = tree.names
    return data


def from_data(data: Any, rows: Sequence[Message], source: str | None = None,
              location: str = LOCATION) -> Tree:
    """The tree in ``data`` (``composer.tree``), whose ``row`` references point into ``rows``.

    A place in the file is spelled out only for an error: a thousand good nodes cost no
    thousand location strings."""
    data = need(data, dict, "the tree", location, source)
    where = at(location, "nodes")
    items = need(data.get("nodes"), list, "the tree's nodes", where, source)
    nodes: dict[str, Node] = {ROOT: Node(ROOT, None, None)}
    children: dict[str, list[str]] = {ROOT: []}
    chosen: dict[str, tuple[Any, str | int]] = {}  # node id -> (its "chosen", node index)
    messages = _messages(items, where, source)
    for k, item in enumerate(items):
        node = _node(item, k, where, nodes, rows, messages.get(k), source)
        nodes[node.id] = node
        children[node.id] = []
        children[node.parent].append(node.id)  # type: ignore[index]
        if "chosen" in item:
            chosen[node.id] = (item["chosen"], k)
    if "chosen" in data:
        chosen[ROOT] = (data["chosen"], "root")
    for node_id, node in nodes.items():
        kids = tuple(children[node_id])
        pick, index = chosen.get(node_id, (kids[0] if kids else None, -1))
        if pick is not None and (not isinstance(pick, str) or pick not in kids):
            place = at(location, "chosen") if index == "root" else \
                at(at(where, index), "chosen")  # type: ignore[arg-type]
            need(pick, str, "chosen", place, source)
            raise FormatError(f"chosen {pick!r} is not a child of "
                              f"{'the root' if node_id == ROOT else repr(node_id)}",
                              source=source, location=place)
        nodes[node_id] = Node(node.id, node.message, node.parent, kids, pick)
    names = _names(data.get("names"), at(location, "names"), nodes, source)
    return Tree(nodes, names)


def _messages(items: list[Any], where: str, source: str | None) -> dict[int, Message]:
    """The nodes' own messages, validated in one call (a thousand nodes in a few ms): node
    index -> message."""
    found = {k: item["message"] for k, item in enumerate(items)
             if isinstance(item, dict) and "message" in item and "row" not in item}
    try:
        checked = _MESSAGES.validate_python(list(found.values()))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first.get("loc", ()))
        place = at(at(where, list(found)[loc.pop(0)]), "message") if loc else where
        for piece in loc:
            place = at(place, piece)
        raise FormatError(first.get("msg", "invalid message"), source=source,
                          location=place) from None
    return dict(zip(found, checked, strict=True))


_MESSAGES = TypeAdapter(list[Message])


def _node(item: Any, k: int, nodes_at: str, nodes: dict[str, Node], rows: Sequence[Message],
          message: Message | None, source: str | None) -> Node:
    node_id = item.get("id") if type(item) is dict else None
    parent = item.get("parent") if type(item) is dict else None
    if type(node_id) is not str or not node_id or node_id in nodes or parent is not None and (
            type(parent) is not str or parent not in nodes or parent == ROOT):
        _node_problem(item, at(nodes_at, k), nodes, source)
    if message is None:
        message = _row_message(item, at(nodes_at, k), rows, source)
    return Node(node_id, message, parent if parent is not None else ROOT)  # type: ignore[arg-type]


def _node_problem(item: Any, where: str, nodes: dict[str, Node], source: str | None) -> None:
    """Raise the FormatError that says what is wrong with a node's id or parent."""
    item = need(item, dict, "a node", where, source)
    node_id = need(item.get("id"), str, "the node's id", at(where, "id"), source)
    if not node_id or node_id in nodes:
        problem = "an empty id" if not node_id else f"id {node_id!r} is used twice"
        raise FormatError(problem, source=source, location=at(where, "id"))
    parent = need(item.get("parent"), str, "the node's parent", at(where, "parent"), source)
    raise FormatError(f"parent {parent!r} is not a node listed before this one",
                      source=source, location=at(where, "parent"))


def _row_message(item: dict[str, Any], where: str, rows: Sequence[Message],
                 source: str | None) -> Message:
    if ("row" in item) == ("message" in item):
        raise FormatError("a node needs either a message or a row (not both)", source=source,
                          location=where)
    row = item["row"]
    if type(row) is int and 0 <= row < len(rows):
        return rows[row]
    need(row, int, "the node's row", at(where, "row"), source)
    if not 0 <= row < len(rows):
        raise FormatError(f"row {row} is not a row of the messages (0..{len(rows) - 1})",
                          source=source, location=at(where, "row"))
    return rows[row]


def _names(data: Any, where: str, nodes: dict[str, Node], source: str | None) -> dict[str, str]:
    if data is None:
        return {}
    data = need(data, dict, "the branch names", where, source)
    for leaf, name in data.items():
        if leaf not in nodes or leaf == ROOT:
            raise FormatError(f"names a branch {leaf!r} that is not a node", source=source,
                              location=at(where, leaf))
        need(name, str, "a branch name", at(where, leaf), source)
    return dict(data)
