"""A conversation: the messages the user composes and the settings to send them with.

This is what the table edits and what a provider turns into a request (the design's
``ChatRequest``). On disk it is the *conversation file*: ``{"messages": [...], "settings": {...},
"composer": {"kind": "conversation", "format_version": N}}``.

``messages`` is always the table, the active path, so every reader and exporter of the file
works on what the user sees. The conversation tree (every branch and variant, see tree.py)
travels with the conversation as ``tree`` and is written as ``composer.tree`` (tree_file.py)
when it holds more than the table: such a file is format version 2; a file without branches
stays version 1, which every Composer reads.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from msgspec import field

from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.models.tree import Tree
from composer.models.value import Check, Value

CONVERSATION_VERSION = 2  # the newest this Composer reads and writes
LINEAR_VERSION = 1  # what a file without branches is written as


class TreeNodeData(Value):
    """One node of ``composer.tree`` as the file holds it: a message, or ``row``, the index of
    the equal message in ``messages``; ``chosen`` is the child the active path goes on to."""

    id: str
    parent: str | None = None
    message: Message | None = None
    row: Annotated[int | None, Check(ge=0)] = None
    chosen: str | None = None


class TreeData(Value):
    """``composer.tree``: every branch and variant (see tree_file.py)."""

    nodes: list[TreeNodeData]
    chosen: str | None = None
    names: dict[str, str] | None = None


class FileHeader(Value):
    kind: str
    format_version: int
    # The values of the conversation's {{variables}} for an interactive send.
    variables: dict[str, str] | None = None
    # Here for the published JSON Schema: a Conversation reads the tree into a Tree (with
    # checks that name the place) before this header is validated, so it is never set.
    tree: TreeData | None = None


class Conversation(Value):
    messages: list[Message] = field(default_factory=list)
    settings: RequestSettings = field(default_factory=RequestSettings)
    composer: FileHeader = field(
        # What a file without branches is: to_dict writes the version the content needs.
        default_factory=lambda: FileHeader(kind="conversation", format_version=LINEAR_VERSION)
    )
    # The tree of every committed path; None while there has been only the table.
    _tree: ClassVar[Tree | None] = None
    _state = ("_extra", "_tree")

    @property
    def tree(self) -> Tree | None:
        return self._tree

    def set_tree(self, tree: Tree | None) -> None:
        self._tree = tree

    def snapshot(self) -> Conversation:
        """This conversation as it is now, for work that outlives the next edit (a send and its
        retry, a compare, a count or a preview on a worker): a list of its own of the same
        messages and settings, which an edit replaces and never changes (a deep copy of 10,000
        messages held the window ~300 ms at each send), and a header of its own (the variables'
        values are set in it)."""
        snapshot = Conversation(messages=list(self.messages), settings=self.settings,
                                composer=self.composer.model_copy())
        if self._extra:
            snapshot._extra = dict(self._extra)
        snapshot._tree = self._tree
        return snapshot

    def kept_tree(self) -> Tree | None:
        """The tree a file must keep: None while it has one path, the table's (a row edited in
        place since is that path edited, not another branch)."""
        tree = self._tree
        return None if tree is None or not tree.other_branches() else tree

    def __eq__(self, other: object) -> bool:
        """Equal when they would be saved alike: the fields, and the tree only when it holds
        more than the one path (a reply kept in the table commits a tree of one path)."""
        if not isinstance(other, Conversation):
            return NotImplemented
        return (self.messages == other.messages and self.settings == other.settings
                and self.composer == other.composer
                and (self._extra or None) == (other._extra or None)
                and self.kept_tree() == other.kept_tree())

    __hash__ = None  # type: ignore[assignment]  # a mutable value

    @classmethod
    def _before(cls, data: Any) -> Any:
        # The tree is read after the messages, whose rows its nodes name (_after).
        if _has_tree(data):
            header = dict(data["composer"])
            del header["tree"]
            return {**data, "composer": header}
        return data

    @classmethod
    def _after(cls, made: Conversation, data: Any) -> Conversation:
        if _has_tree(data):
            from composer.models import tree_file

            # A FormatError naming the place, not a pydantic ValidationError: it is not one of
            # the errors pydantic wraps, so it reaches the reader as it is.
            made._tree = tree_file.from_data(data["composer"]["tree"], made.messages)
        return made

    @property
    def variable_values(self) -> dict[str, str]:
        return dict(self.composer.variables or {})

    def to_dict(self, *, messages: bool = True) -> dict[str, Any]:
        """The file's object; without ``messages``, all of it but them (a draft dumps them a
        message at a time: files.save). The messages are dumped one at a time: a dump of them
        all is one call that holds the GIL against the window (~40 ms at 10,000 messages,
        when a Save is written on a worker), and takes longer."""
        data = self.dump(exclude={"messages"})
        if messages:
            data = {"messages": [m.to_dict() for m in self.messages], **data}
        tree = self.kept_tree()
        header = {**data.get("composer", {}), "kind": "conversation",
                  "format_version": CONVERSATION_VERSION if tree else LINEAR_VERSION}
        header.pop("tree", None)
        if tree is not None:
            from composer.models import tree_file

            header["tree"] = tree_file.to_data(tree, self.messages)
        data["composer"] = header
        return data


def _has_tree(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("composer"), dict) \
        and "tree" in data["composer"]
