"""Values built from data already known to be valid, without pydantic's validator.

Only for data we wrote (the example shown on a first start, a draft whose bytes are the ones we
saved): a file a user opens or a reply from the wire is always validated (``files.from_data``).
The first validation in a process imports pydantic and builds the validator (about a quarter
of a cold start's instructions), and the first paint needs none of it. A test checks that each
shipped file builds equal, field for field and type for type, to what the validator makes of it.

Built field by field through the annotations: nested values (also in lists, dicts, ``X | None``
and a union told apart by a discriminator field) are values; everything else is kept as it is;
a key that is not a field is kept as the validator keeps it. Anything this cannot tell apart
raises ``TypeError``; the caller then validates.
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import msgspec

from composer.models.value import Check, Value

V = TypeVar("V", bound=Value)


def build(cls: type[V], data: Any) -> V:
    """``data`` as ``cls``, read as the validator reads it (with the class's own ``_before``
    and ``_after``: a conversation's tree, for one) but unchecked."""
    shaped = cls._before(data)
    if not isinstance(shaped, dict):
        raise TypeError(f"{cls.__name__}: expected an object, not {type(shaped).__name__}")
    fields = _fields(cls)
    missing = [name for name, info in fields.items() if info.required and name not in shaped]
    if missing:
        raise TypeError(f"{cls.__name__}: {', '.join(missing)} missing")
    made = cls(**{key: _value(fields[key].type, value) if key in fields else value
                  for key, value in shaped.items()})
    return cls._after(made, data)


@functools.cache
def _fields(cls: type[Value]) -> dict[str, msgspec.structs.FieldInfo]:
    return {info.name: info for info in msgspec.structs.fields(cls)}


def _is_value(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Value)


def _value(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        key = next((m.kwargs["discriminator"] for m in meta
                    if isinstance(m, Check) and "discriminator" in m.kwargs), None)
        return _tagged(base, key, value) if key else _value(base, value)
    if origin is Union or origin is types.UnionType:
        members = [m for m in get_args(tp) if m is not type(None)]
        if len(members) == 1:
            return _value(members[0], value)
        if all(_plain(m) for m in members):
            return value
        raise TypeError(f"cannot tell which of {tp} a value is without validating")
    if origin is list or origin is dict:
        if not isinstance(value, origin):
            raise TypeError(f"expected {tp}, not {type(value).__name__}")
        if origin is list:
            (item,) = get_args(tp) or (Any,)
            return [_value(item, v) for v in value] if not _plain(item) else value
        _key, item = get_args(tp) or (Any, Any)
        return {k: _value(item, v) for k, v in value.items()} if not _plain(item) else value
    if _is_value(tp):
        return build(tp, value)
    return value


def _plain(tp: Any) -> bool:
    """A type whose values are kept as they are (no value inside)."""
    if _is_value(tp):
        return False
    args = get_args(tp)
    return not args or all(a is Any or _plain(a) for a in args)


def _tagged(union: Any, key: str, value: Any) -> Any:
    """The member of a discriminated union whose ``key`` field's default is the value's."""
    tag = value.get(key) if isinstance(value, dict) else None
    for member in get_args(union):
        if _is_value(member) and key in (fields := _fields(member)) \
                and fields[key].default == tag:
            return build(member, value)
    raise TypeError(f"no member of {union} has {key}={tag!r}")
