"""The base of every record our files hold: a msgspec Struct that keeps the keys it does not
know and writes llm-shaped dicts, checked by pydantic where data comes in.

Why not pydantic models: importing pydantic and making its model classes was about a quarter
of a cold start's instructions, and the first paint (the example, a draft we wrote) needs no
check. So the values are Structs, which cost next to nothing to define and hold, and pydantic
is imported the first time something is validated: ``model_validate`` builds a validator from
the Struct's own fields (``__get_pydantic_core_schema__``), with pydantic's coercions, error
locations and JSON Schema, and makes the Structs directly.

The names of pydantic's model API that the code uses are kept (``model_copy``,
``model_validate``, ``model_extra``, ``model_rebuild``, ``model_json_schema``), with their
meanings. Like a model, a value is mutable, compares by content (its unknown keys too), and
keeps a keyword it was made with that is not a field as an unknown key.

Unlike a model, constructing one does not validate it: code builds values from data it has
already checked or made itself (a parser's events carry checked types); data from a file or
a reply's JSON goes through ``model_validate``.

Instance state that is not a field (``_extra``, the unknown keys; a subclass's private state
such as an attachment's loaded bytes) lives in the instance's ``__dict__``, with a class-level
default, so an instance without any costs no dict.
"""

from __future__ import annotations

import copy
import functools
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import msgspec
from msgspec import NODEFAULT, Struct, StructMeta

V = TypeVar("V", bound="Value")

# Keys dropped from the serialised form when they hold their "nothing" value, as llm does.
_OMIT_WHEN_FALSY = frozenset({"redacted", "server_executed", "attachments", "citations"})


class Check:
    """Field arguments for pydantic's check at the boundary (``Check(ge=0)``,
    ``Check(discriminator="type")``), given in an ``Annotated`` without importing pydantic."""

    __slots__ = ("kwargs",)

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic import Field

        return handler.generate_schema(typing.Annotated[source, Field(**self.kwargs)])


class _KeepsUnknownKeys(StructMeta):
    """A value made with a keyword that is not one of its fields keeps it as an unknown key,
    as a pydantic model that allows extras does (an importer passes a file's keys on so)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
                **options: Any) -> Any:
        cls = super().__new__(mcs, name, bases, namespace, **options)
        cls._field_names = frozenset(cls.__struct_fields__)
        return cls

    def __call__(cls, /, *args: Any, **kwargs: Any) -> Any:
        if kwargs and not kwargs.keys() <= cls._field_names:
            return cls._made(args, kwargs)
        return super().__call__(*args, **kwargs)

    def _made(cls, args: tuple[Any, ...], given: dict[str, Any]) -> Any:
        """Made from ``given``, whose keys that are not fields are kept, in their order, as
        its unknown keys (any string: a file's key may be "cls" or "self")."""
        fields = cls._field_names
        extra = {key: value for key, value in given.items() if key not in fields}
        made = StructMeta.__call__(cls, *args, **{
            key: value for key, value in given.items() if key in fields})
        if extra:
            made._extra = extra
        return made


class Value(Struct, metaclass=_KeepsUnknownKeys, kw_only=True, dict=True):
    """A record with pydantic's model API over a Struct (see the module's docstring)."""

    # The keys a file gave that are not fields, as given; None: none.
    _extra: ClassVar[dict[str, Any] | None] = None
    # Drop None and llm's falsy defaults when written (an attachment drops None only).
    _compact_falsy: ClassVar[bool] = True
    # The attributes that are not fields an instance may set (a class default when not):
    # copied with it, compared with it.
    _state: ClassVar[tuple[str, ...]] = ("_extra",)

    # -- pydantic's model API ----------------------------------------------------------------

    @property
    def model_extra(self) -> dict[str, Any]:
        """The unknown keys, the instance's own dict (changes to it are kept)."""
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    @classmethod
    def model_validate(cls: type[V], data: Any) -> V:
        """``data`` checked and read as pydantic would a model (raises its ValidationError)."""
        return _adapter(cls).validate_python(data)

    @classmethod
    def model_rebuild(cls) -> None:
        """Build the validator now (it is otherwise built by the first ``model_validate``)."""
        _adapter(cls)

    @classmethod
    def model_json_schema(cls, mode: str = "validation") -> dict[str, Any]:
        return _adapter(cls).json_schema(mode=mode)  # type: ignore[arg-type]

    def model_copy(self: V, *, update: dict[str, Any] | None = None, deep: bool = False) -> V:
        made = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            fields = made.__struct_fields__
            for key, value in update.items():
                if key in fields:
                    setattr(made, key, value)
                else:
                    made.model_extra[key] = value
        return made

    def __getattr__(self, name: str) -> Any:
        # Only for a name that is not a field: an unknown key reads as an attribute, as a
        # pydantic model's extras do.
        extra = self._extra
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # A name that is neither a field nor private is an unknown key, as on a pydantic model.
        if name in self._field_names or name[0] == "_":
            Struct.__setattr__(self, name, value)
        else:
            self.model_extra[name] = value

    def __delattr__(self, name: str) -> None:
        extra = self._extra
        if extra is not None and name in extra:
            del extra[name]
        else:
            Struct.__delattr__(self, name)

    def _own_state(self) -> dict[str, Any]:
        """The non-field attributes this instance set (read without making its ``__dict__``)."""
        cls = type(self)
        return {name: value for name in self._state
                if (value := getattr(self, name)) is not getattr(cls, name)}

    def __copy__(self: V) -> V:
        made = msgspec.structs.replace(self)
        for name, value in self._own_state().items():
            setattr(made, name, dict(value) if name == "_extra" else value)
        return made

    def __deepcopy__(self: V, memo: dict[int, Any]) -> V:
        made = msgspec.structs.replace(self, **{
            name: copy.deepcopy(getattr(self, name), memo) for name in self.__struct_fields__})
        memo[id(self)] = made
        for name, value in self._own_state().items():
            setattr(made, name, copy.deepcopy(value, memo))
        return made

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (msgspec.structs.astuple(self) == msgspec.structs.astuple(other)
                and (self._extra or None) == (other._extra or None))

    def __reduce__(self) -> Any:
        return _rebuilt, (type(self), msgspec.structs.asdict(self), self._own_state())

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    # -- writing ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object a file holds: the fields, then the unknown keys."""
        return self.dump()

    def dump(self, exclude: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
        out = {name: _plain(getattr(self, name)) for name in self.__struct_fields__
               if name not in exclude}
        self._written(out)
        if self._extra:
            out.update({k: _plain(v) for k, v in self._extra.items() if k not in exclude})
        if self._compact_falsy:
            out = {k: v for k, v in out.items()
                   if v is not None and not (k in _OMIT_WHEN_FALSY and not v)}
            # llm writes provider_metadata last; keep files diffable against its output.
            if "provider_metadata" in out:
                out["provider_metadata"] = out.pop("provider_metadata")
        else:
            out = {k: v for k, v in out.items() if v is not None}
        return out

    def _written(self, out: dict[str, Any]) -> None:
        """A subclass's change to its fields as written (a secret left out...), in place."""

    # -- reading ------------------------------------------------------------------------------

    @classmethod
    def _before(cls, data: Any) -> Any:
        """A subclass's reshaping of a file's object before it is checked."""
        return data

    @classmethod
    def _after(cls: type[V], made: V, data: Any) -> V:
        """A subclass's reading of what its checked fields leave out (``data`` as given)."""
        return made

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema as cs

        hints = typing.get_type_hints(cls, include_extras=True)
        fields = {}
        for info in msgspec.structs.fields(cls):
            schema = handler.generate_schema(hints[info.name])
            if info.default is not NODEFAULT:
                schema = cs.with_default_schema(schema, default=info.default)
            elif info.default_factory is not NODEFAULT:
                schema = cs.with_default_schema(schema, default_factory=info.default_factory)
            fields[info.name] = cs.typed_dict_field(schema, required=info.required)

        before = cls._before if cls._before.__func__ is not Value._before.__func__ else None
        after = cls._after if cls._after.__func__ is not Value._after.__func__ else None
        names, make = cls._field_names, StructMeta.__call__

        def read(data: Any, check: Callable[[Any], Any]) -> Any:
            if isinstance(data, cls):
                return data
            checked = check(before(data) if before else data)
            # (called once per value of a file: the usual case, no unknown key, made directly)
            made = make(cls, **checked) if checked.keys() <= names else cls._made((), checked)
            return after(made, data) if after else made

        body = cs.typed_dict_schema(fields, cls=cls, extra_behavior="allow",
                                    config={"title": cls.__name__})
        return cs.no_info_wrap_validator_function(
            read, body, ref=f"{cls.__module__}.{cls.__qualname__}:{id(cls)}")


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: values as their dicts, tuples as lists."""
    if isinstance(value, Value):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        as_dict = getattr(value, "as_dict", None)
        return as_dict() if as_dict is not None else [_plain(v) for v in value]
    return value


def _rebuilt(cls: type[V], fields: dict[str, Any], state: dict[str, Any]) -> V:
    made = cls(**fields)
    for name, value in state.items():
        setattr(made, name, value)
    return made


@functools.cache
def _adapter(cls: type) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(cls)
