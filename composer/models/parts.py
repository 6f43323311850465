"""Messages and their typed parts, with llm 0.32's JSON field names.

A message is ``{"role", "parts": [...], "provider_metadata"?}``; a part is one of five types,
told apart by ``type``. These are values: equal by content. Row identity (for undo, drag and
selection) belongs to the document that holds them, not to the message.

Invariants:
- ``provider_metadata`` and any key we do not know survive load/save verbatim (``extra="allow"``).
- Serialising drops ``None`` and the false/empty defaults llm itself omits, so our dicts look like
  ``Part.to_dict()``'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from composer.models.attachment import Attachment

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")

# Keys dropped from the serialised form when they hold their "nothing" value, as llm does.
_OMIT_WHEN_FALSY = frozenset({"redacted", "server_executed", "attachments", "citations"})


# How many different sets of given fields are shared (see Value.model_post_init): a file's
# unknown keys are among an instance's given fields, so a hostile one could make a new set
# for each; past this many, an instance keeps its own.
_SHARED_FIELD_SETS = 512


class SharedFields(set):
    """A fields set many instances share: a set (pydantic-core reads it as one, for
    ``exclude_unset``) that refuses to change; an instance takes its own copy first."""

    __slots__ = ()

    def _refuse(self, *_args: Any) -> None:
        raise TypeError("a shared fields set does not change: copy it first")

    add = discard = remove = pop = clear = update = _refuse
    intersection_update = difference_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse  # type: ignore[assignment]


_field_sets: dict[frozenset[str], SharedFields] = {}
_NO_EXTRA: dict[str, Any] = {}  # the one empty extras dict instances share (never filled)


class Value(BaseModel):
    """Base of every model in our files: keeps unknown keys and writes llm-shaped dicts.

    A model as validated shares two things pydantic would give each instance its own copy of:
    the set of the fields it was given (a SharedFields common to every instance given the same
    fields) and, when it holds no unknown key, the empty dict of its extras. A 10,000-message
    file holds twice as many models and these were 280 bytes of each (a tenth of the file's
    size). Whatever would change either (setting an attribute, ``model_copy``) first gives the
    instance its own, so pydantic's meaning of both is kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        key = frozenset(given)
        shared = _field_sets.get(key)
        if shared is None:
            if len(_field_sets) >= _SHARED_FIELD_SETS:
                return
            shared = _field_sets.setdefault(key, SharedFields(key))
        object.__setattr__(self, "__pydantic_fields_set__", shared)
        if self.__pydantic_extra__ == {}:
            object.__setattr__(self, "__pydantic_extra__", _NO_EXTRA)

    def _own_shared(self) -> None:
        """Before a change: the instance's own fields set and extras, not the shared ones."""
        if type(self.__pydantic_fields_set__) is SharedFields:
            object.__setattr__(self, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        if self.__pydantic_extra__ is _NO_EXTRA:
            object.__setattr__(self, "__pydantic_extra__", {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._own_shared()
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self._own_shared()
        super().__delattr__(name)

    def __copy__(self) -> Any:
        copied = super().__copy__()
        copied._own_shared()  # model_copy(update=...) adds to the copy's fields set
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        copied = super().__deepcopy__(memo)
        copied._own_shared()
        return copied

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        out = {k: v for k, v in data.items()
               if v is not None and not (k in _OMIT_WHEN_FALSY and not v)}
        # llm writes provider_metadata last; keep files diffable against its output.
        if "provider_metadata" in out:
            out["provider_metadata"] = out.pop("provider_metadata")
        return out

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class _PartBase(Value):
    provider_metadata: dict[str, Any] | None = None


class Citation(Value):
    url: str | None = None
    title: str | None = None
    cited_text: str | None = None


class TextPart(_PartBase):
    type: Literal["text"] = "text"
    text: str = ""
    # Not in llm: sources a provider attached to this text (llm ignores the key).
    citations: list[Citation] | None = None


class ReasoningPart(_PartBase):
    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    redacted: bool = False
    token_count: int | None = None


class ToolCallPart(_PartBase):
    type: Literal["tool_call"] = "tool_call"
    name: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    tool_call_id: str | None = None
    server_executed: bool = False


class ToolResultPart(_PartBase):
    type: Literal["tool_result"] = "tool_result"
    name: str = ""
    output: str = ""
    tool_call_id: str | None = None
    server_executed: bool = False
    attachments: list[Attachment] = Field(default_factory=list)
    exception: str | None = None


class AttachmentPart(_PartBase):
    type: Literal["attachment"] = "attachment"
    attachment: Attachment | None = None


Part = Annotated[
    TextPart | ReasoningPart | ToolCallPart | ToolResultPart | AttachmentPart,
    Field(discriminator="type"),
]


class Message(Value):
    role: Role
    parts: list[Part] = Field(default_factory=list)
    provider_metadata: dict[str, Any] | None = None

    @classmethod
    def text(cls, role: Role, text: str) -> Message:
        return cls(role=role, parts=[TextPart(text=text)])

    @property
    def plain_text(self) -> str:
        """The message's text parts joined, as a reader would see them."""
        return "\n\n".join(p.text for p in self.parts if isinstance(p, TextPart))

    def parts_of(self, kind: type) -> list:
        return [p for p in self.parts if isinstance(p, kind)]

    @property
    def attachments(self) -> list[Attachment]:
        return [p.attachment for p in self.parts if isinstance(p, AttachmentPart) and p.attachment]
