"""Structured output: a reply checked against the conversation's response schema.

Three questions, one validator (``jsonschema``, imported on first use: it costs 0.2 s to load):

- ``schema_problem(schema)``: is the schema itself a JSON Schema? The editor refuses one that
  is not, with the reason.
- ``first_break(validator, text)``: while the reply streams, where does the text so far
  *already* break the schema? The partial JSON is read tolerantly (pydantic-core's partial
  mode closes open strings, arrays and objects and drops the value still being written), and
  only the errors more text cannot mend count: a wrong type, a property the schema forbids, an
  enum miss on a finished value. A missing required property, too few items, a string still
  growing are not breaks until the end. ``LiveCheck`` runs it throttled by its own cost, so a
  100 KB reply costs a small share of the frames it streams in.
- ``verdict(schema, text, stop_reason, error_kind)``: at the end, ``valid``, ``invalid`` (the
  JSON path and the reason), or ``cut_off`` (the JSON never closed, or the reply stopped at max
  tokens). It is saved with the exchange as ``composer.schema_verdict``.

Gemini's own schema dialect (upper-case types, ``nullable``) is read as the JSON Schema it
stands for, so a schema the Gemini writer sends as ``responseSchema`` is checked too.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pydantic_core import from_json

from composer.models.exchange import SchemaVerdict

# A reply longer than this is not parsed per check while it streams (the end still is).
LIVE_LIMIT = 20_000_000
# The live check waits at least MIN_GAP seconds, and COST_FACTOR times its last cost, between
# two runs: its share of the time stays under 1 / (COST_FACTOR + 1).
MIN_GAP = 0.1
COST_FACTOR = 4
REASON_CHARS = 160

# schema key -> the PartialCheck made last for it (what ``verdict`` may reuse), a few kept.
_LATEST: dict[str, PartialCheck] = {}
MAX_LATEST = 8

# Errors that more text can still mend: a property or an item not written yet, or a value
# whose meaning depends on the parts still to come.
_GROWING = frozenset({"required", "minItems", "minProperties", "contains", "minContains",
                      "dependentRequired", "dependencies", "not", "unevaluatedProperties"})
# The tail of a value still being written: a number may gain digits, a literal its letters.
_OPEN_SCALAR = re.compile(r"[-+0-9.eE]+$|(?:t|tr|tru|f|fa|fal|fals|n|nu|nul)$")


def as_json_schema(schema: Any) -> Any:
    """``schema`` as plain JSON Schema: Gemini's ``"type": "OBJECT"`` read as ``"object"``
    and its ``nullable: true`` as a ``null`` type; anything else as it is."""
    if isinstance(schema, list):
        return [as_json_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: as_json_schema(v) for k, v in schema.items()}
    kind = out.get("type")
    if isinstance(kind, str) and kind.isupper():
        out["type"] = kind = kind.lower()
    if out.pop("nullable", None) is True and isinstance(kind, str):
        out["type"] = [kind, "null"]
    return out


def _key(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


@lru_cache(maxsize=16)
def _compiled(key: str) -> Any:
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing import Registry

    schema = as_json_schema(json.loads(key))
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    # An empty registry of our own: without one, jsonschema falls back to its deprecated
    # resolver, which fetches a remote $ref over the network (a file's schema is untrusted).
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=Registry())


def validator(schema: dict[str, Any]) -> Any:
    """The compiled validator of ``schema`` (kept for the next reply); raises
    ``jsonschema.SchemaError`` when it is not a JSON Schema."""
    return _compiled(_key(schema))


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not a JSON Schema ("$.properties.age.type: 'int' is not valid ..."),
    None when it is one."""
    from jsonschema.exceptions import SchemaError

    try:
        validator(schema)
    except SchemaError as exc:
        return f"{exc.json_path}: {_short(exc.message)}"
    except Exception as exc:  # a $ref the checker cannot follow, a pattern re cannot compile
        return f"$: {type(exc).__name__}: {_short(str(exc))}"
    return None


def _short(text: str) -> str:
    """A reason fit for one line: jsonschema quotes the whole value, which may be huge."""
    text = " ".join(text.split())
    if len(text) <= REASON_CHARS:
        return text
    half = REASON_CHARS // 2
    return f"{text[:half]} … {text[-half:]}"


def _invalid(error: Any) -> SchemaVerdict:
    return SchemaVerdict(verdict="invalid", path=error.json_path, reason=_short(error.message))


def _final(error: Any, open_ids: frozenset[int]) -> bool:
    """Whether ``error``, found in a partial reply, stays an error whatever text comes next.
    ``open_ids``: the containers still being written (the reply's last value, its last
    member...); an error about a container that is finished is final."""
    finished = id(error.instance) not in open_ids
    if error.validator in ("anyOf", "oneOf"):
        if not error.context:  # oneOf matched by several: more text may tell them apart
            return finished
        branches: dict[Any, bool] = {}
        for sub in error.context:
            branch = sub.schema_path[0] if sub.schema_path else None
            branches[branch] = branches.get(branch, False) or _final(sub, open_ids)
        return all(branches.values())
    if error.validator in _GROWING or (error.validator in ("enum", "const", "uniqueItems")
                                       and isinstance(error.instance, dict | list)):
        return finished  # more members or items may yet mend it
    return True


def _partial(text: str) -> tuple[Any, SchemaVerdict | None, bool]:
    """(the value written so far, a break when the text is not JSON, whether anything is
    there yet)."""
    # Only the tail can hold an open scalar; a search over the whole text would cost more.
    tail = _OPEN_SCALAR.search(text, max(0, len(text) - 400))
    trimmed = text[:tail.start()] if tail is not None else text
    if not trimmed.strip():
        return None, None, False
    try:
        return from_json(trimmed, allow_partial=True, allow_inf_nan=False), None, True
    except ValueError as exc:
        message = str(exc)
        if "EOF while parsing" in message:  # the first value is not far enough along yet
            return None, None, False
        return None, SchemaVerdict(verdict="invalid", path="$",
                                   reason=f"not JSON: {_short(message)}"), False


def _open_ids(value: Any) -> frozenset[int]:
    """The containers on the partial value's last path: only these may still grow."""
    ids = []
    while isinstance(value, dict | list) and value:
        ids.append(id(value))
        value = value[-1] if isinstance(value, list) else next(reversed(value.values()))
    if isinstance(value, dict | list):
        ids.append(id(value))
    return frozenset(ids)


def _array_paths(value: Any, done: dict[tuple[Any, ...], int]) -> dict[int, tuple[Any, ...]]:
    """id of every array in ``value`` -> its path: an array's identity from one parse of the
    growing text to the next. The first ``done[path]`` items of an array are not looked into
    (they were checked, and the arrays inside them with them)."""
    paths: dict[int, tuple[Any, ...]] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            paths[id(node)] = path
            start = done.get(path, 0)
            stack.extend((v, (*path, i)) for i, v in enumerate(node[start:], start)
                         if isinstance(v, dict | list))
        elif isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items() if isinstance(v, dict | list))
    return paths


class PartialCheck:
    """The first break of a reply as it grows, for one schema; feed it one reply's text as it
    grows. The items of an array that are finished (every item but the last) and were valid
    against their item schema at one check are not validated again at the next: the text
    before them never changes. So a check costs the parse and the new items, not the whole
    reply again, and the verdict at the end (``verdict``) reuses what the last check of the
    same reply learnt."""

    def __init__(self, schema: dict[str, Any]):
        from jsonschema.validators import extend
        from referencing import Registry

        base = validator(schema)
        self.last_text = ""  # the text of the last check: a later text extends it
        key = _key(schema)
        _LATEST.pop(key, None)
        _LATEST[key] = self
        while len(_LATEST) > MAX_LATEST:
            del _LATEST[next(iter(_LATEST))]
        original = type(base).VALIDATORS.get("items")
        self._paths: dict[int, tuple[Any, ...]] = {}
        # (array path, id(item schema)) -> the items before this index are valid against it
        self._valid: dict[tuple[Any, ...], int] = {}
        self._done: dict[tuple[Any, ...], int] = {}  # array path -> items checked before this
        self.skipped = 0

        def items(check: Any, items: Any, instance: Any, schema: Any) -> Any:
            path = self._paths.get(id(instance))
            if not isinstance(items, dict) or path is None or not check.is_type(
                    instance, "array"):
                yield from original(check, items, instance, schema)
                return
            key = (path, id(items))
            start = max(len(schema.get("prefixItems", [])), self._valid.get(key, 0))
            self.skipped += start
            valid, last = start, len(instance) - 1
            for index in range(start, len(instance)):
                errors = list(check.descend(instance=instance[index], schema=items, path=index))
                if not errors and valid == index < last:
                    valid = index + 1
                yield from errors
            self._valid[key] = valid
            self._done[path] = valid

        cls = extend(type(base), {"items": items}) if original is not None else type(base)
        self._compiled = cls(base.schema, format_checker=base.format_checker,
                             registry=Registry())  # never the network (see _compiled)

    def check(self, text: str) -> SchemaVerdict | None:
        """Where ``text`` (the reply so far) already breaks the schema, or None."""
        value, broken, seen = _partial(text)
        if broken is not None or not seen:
            return broken
        from jsonschema.exceptions import relevance

        open_ids = _open_ids(value)
        finals = [e for e in self.errors(value) if _final(e, open_ids)]
        self.last_text = text
        return _invalid(min(finals, key=relevance)) if finals else None

    def errors(self, value: Any) -> Iterator[Any]:
        """jsonschema's errors for ``value`` (the reply's text parsed), finished items that
        were valid before skipped: the same errors a validation from scratch finds."""
        self._paths = _array_paths(value, self._done)
        return self._compiled.iter_errors(value)


def first_break(schema: dict[str, Any], text: str) -> SchemaVerdict | None:
    """Where the reply so far already breaks ``schema`` (an ``invalid`` verdict), or None."""
    return PartialCheck(schema).check(text)


def verdict(schema: dict[str, Any], text: str, *, stop_reason: str | None = None,
            error_kind: str | None = None) -> SchemaVerdict:
    """The finished reply's verdict. ``stop_reason`` "length" (max tokens) or a stream that
    ended early (``error_kind``) makes JSON that never closed ``cut_off``."""
    try:
        compiled = validator(schema)
    except Exception as exc:  # noqa: BLE001 (the editor names it; say so here too)
        return SchemaVerdict(verdict="unchecked", reason=_short(f"the schema: {exc}"))
    stopped = _stopped_early(stop_reason, error_kind)
    body = text.strip()
    if not body:
        if stopped:
            return SchemaVerdict(verdict="cut_off", reason=stopped)
        return SchemaVerdict(verdict="invalid", path="$", reason="the reply holds no JSON")
    try:
        value = from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        message = str(exc)
        if "EOF while parsing" in message or stopped:
            return SchemaVerdict(verdict="cut_off", reason=stopped or _short(message))
        return SchemaVerdict(verdict="invalid", path="$", reason=f"not JSON: {_short(message)}")
    from jsonschema.exceptions import best_match

    live = _LATEST.get(_key(schema))  # the live check of this reply, when there was one
    try:
        if live is not None and live.last_text and text.startswith(live.last_text):
            error = best_match(live.errors(value))
        else:
            error = best_match(compiled.iter_errors(value))
    except Exception as exc:  # noqa: BLE001 (a $ref that cannot be resolved, say)
        return SchemaVerdict(verdict="unchecked", reason=_short(f"the schema: {exc}"))
    return _invalid(error) if error is not None else SchemaVerdict(verdict="valid")


def _stopped_early(stop_reason: str | None, error_kind: str | None) -> str | None:
    if stop_reason == "length":
        return "the reply reached max tokens"
    if error_kind == "cancelled" or stop_reason == "cancelled":
        return "stopped"
    if error_kind is not None:
        return "the stream ended early"
    return None


class LiveCheck:
    """The first break of a streaming reply, checked no more often than its cost allows.
    ``update(text)`` takes the reply's whole text so far and returns the break once found (it
    stays: a break cannot be mended)."""

    def __init__(self, schema: dict[str, Any]):
        try:
            self._check: PartialCheck | None = PartialCheck(schema)
        except Exception:  # noqa: BLE001 (an invalid schema: nothing to check against)
            self._check = None
        self.found: SchemaVerdict | None = None
        self.checks = 0
        self.spent = 0.0  # seconds spent checking, in all
        self._next = 0.0
        self._length = -1

    def update(self, text: str) -> SchemaVerdict | None:
        if self.found is not None or self._check is None:
            return self.found
        now = time.monotonic()
        if len(text) == self._length or now < self._next or len(text) > LIVE_LIMIT:
            return None
        self._length = len(text)
        try:
            self.found = self._check.check(text)
        except Exception:  # noqa: BLE001 (a schema jsonschema cannot apply: the end says so)
            self._check = None
        cost = time.monotonic() - now
        self.checks += 1
        self.spent += cost
        self._next = time.monotonic() + max(MIN_GAP, COST_FACTOR * cost)
        return self.found
