"""Models built from data already known to be valid, without pydantic's validator.

Only for data we ship (the example shown on a first start): a file a user opens or a reply from
the wire is always validated (``files.from_data``). Building a model's validator is the costly
part of the first validation in a process (pydantic builds the schema, imports its plugin loader
with ``importlib.metadata`` and scans the installed packages' entry points: about 0.15 s of CPU
of a cold start), and the first paint needs none of it. A test checks that each shipped file
builds equal, field for field and type for type, to what the validator makes of it.

What is built is what ``model_construct`` makes, field by field through the annotations: nested
models (also in lists, dicts, ``X | None`` and a union told apart by a discriminator field) are
models; everything else is kept as it is. Anything this cannot tell apart raises ``TypeError``;
the caller then validates.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)


def build(cls: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, not {type(data).__name__}")
    fields = cls.model_fields
    missing = [name for name, field in fields.items() if field.is_required() and name not in data]
    if missing:
        raise TypeError(f"{cls.__name__}: {', '.join(missing)} missing")
    values = {key: _value(fields[key].annotation, value) if key in fields else value
              for key, value in data.items()}
    given = set(values)  # unknown keys too, as the validator counts them
    for name, field in fields.items():
        if name not in values and field.default_factory is not None:
            # Called here: model_construct would first ask inspect.signature whether the
            # factory takes the validated data, which for a builtin (list, dict) parses its
            # text signature with tokenize's regular expressions (compiled once, at a cost).
            values[name] = field.default_factory()  # type: ignore[call-arg]
    return cls.model_construct(given, **values)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _value(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        key = next((m.discriminator for m in meta
                    if isinstance(m, FieldInfo) and isinstance(m.discriminator, str)), None)
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
            return [_value(item, v) for v in value]
        _key, item = get_args(tp) or (Any, Any)
        return {k: _value(item, v) for k, v in value.items()}
    if _is_model(tp):
        return build(tp, value)
    return value


def _plain(tp: Any) -> bool:
    """A member of a union whose values are kept as they are (no model inside)."""
    if _is_model(tp):
        return False
    args = get_args(tp)
    return not args or all(a is Any or _plain(a) for a in args)


def _tagged(union: Any, key: str, value: Any) -> Any:
    """The member of a discriminated union whose ``key`` field's default is the value's."""
    tag = value.get(key) if isinstance(value, dict) else None
    for member in get_args(union):
        if _is_model(member) and key in member.model_fields \
                and member.model_fields[key].default == tag:
            return build(member, value)
    raise TypeError(f"no member of {union} has {key}={tag!r}")
