"""Checks: assertions on one reply, stored with the suite; each verdict says why.

A check is an object with a ``kind`` and the fields of that kind (``label`` names it in the
summary, else a label is made from it). ``{{name}}`` in any of its strings is filled from the
case (``{{expected}}``: the expected output); in a ``regex`` pattern a filled value is literal
text.

=============  ==============================================================================
kind           fields
=============  ==============================================================================
contains       ``value``; ``ignore_case``
not-contains   ``value``; ``ignore_case``
equals         ``value``; ``ignore_case`` (surrounding white space is not compared)
regex          ``pattern``; ``ignore_case`` (Python ``re``, searched anywhere in the reply)
is-json        (none): the reply is JSON (a reply in one ```json fence counts)
json-schema    ``schema``: the reply's JSON matches it
json-path      ``path`` ($.a.b[0]), ``op`` (equals, greater-than, less-than, contains, exists),
               ``value`` (not for exists)
tool-call      ``name``; ``arguments`` (an object the call's arguments contain, recursively);
               ``schema`` (a JSON Schema the arguments match)
stop-reason    ``value``: a stop reason or a list of them (stop, length, tool_calls, ...)
latency        ``under_ms``: the whole request took less
cost           ``under_usd``: the reply cost less. When no price is known for the model the
               verdict is **skip** ("no price known"): it neither passes nor fails the run.
=============  ==============================================================================

A verdict is pass, fail, error (the check could not be judged: a bad regex after filling, a
request that failed) or skip.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
from msgspec import Struct, field

from composer.models.exchange import Exchange
from composer.models.parts import TextPart, ToolCallPart
from composer.models.variables import fill_text, names_in_text
from composer.run.testrun import jsonpath

PASS, FAIL, ERROR, SKIP = "pass", "fail", "error", "skip"
OPS = ("equals", "greater-than", "less-than", "contains", "exists")


class CheckError(ValueError):
    """A check that cannot be used; the message names it (``checks[2]: ...``)."""


class Verdict(Struct, frozen=True):
    check: int  # the check's index in the suite; -1 for the request itself
    kind: str
    label: str
    status: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "kind": self.kind, "label": self.label,
                "status": self.status, "why": self.why}

    @classmethod
    def from_dict(cls, data: Any) -> Verdict:
        if not isinstance(data, dict):
            raise ValueError("a verdict must be an object")
        status = data.get("status")
        if status not in (PASS, FAIL, ERROR, SKIP):
            raise ValueError(f"unknown verdict status {status!r}")
        return cls(int(data.get("check", -1)), str(data.get("kind", "")),
                   str(data.get("label", "")), status, str(data.get("why", "")))


class Observed(Struct, frozen=True):
    """What checks look at in one finished reply."""

    text: str
    tool_calls: list[tuple[str, Any]]
    stop_reason: str | None
    latency_ms: float | None
    cost_usd: float | None
    cost_note: str = ""  # why the cost is unknown

    @classmethod
    def of(cls, exchange: Exchange, cost_usd: float | None, cost_note: str = "") -> Observed:
        parts = [p for m in exchange.messages for p in m.parts]
        text = "".join(p.text for p in parts if isinstance(p, TextPart))
        calls = [(p.name, p.arguments) for p in parts if isinstance(p, ToolCallPart)]
        return cls(text, calls, exchange.composer.stop_reason,
                   exchange.composer.timing.total_ms, cost_usd, cost_note)


Judge = Callable[["Check", Observed, dict[str, Any]], tuple[str, str]]


class Spec(Struct, frozen=True):
    required: dict[str, tuple[type, ...]]
    optional: dict[str, tuple[type, ...]] = field(default_factory=dict)


_NUMBER = (int, float)
_ANY = (str, int, float, bool, list, dict, type(None))
SPECS: dict[str, Spec] = {
    "contains": Spec({"value": (str,)}, {"ignore_case": (bool,)}),
    "not-contains": Spec({"value": (str,)}, {"ignore_case": (bool,)}),
    "equals": Spec({"value": (str,)}, {"ignore_case": (bool,)}),
    "regex": Spec({"pattern": (str,)}, {"ignore_case": (bool,)}),
    "is-json": Spec({}),
    "json-schema": Spec({"schema": (dict, bool)}),
    "json-path": Spec({"path": (str,), "op": (str,)}, {"value": _ANY}),
    "tool-call": Spec({"name": (str,)}, {"arguments": (dict,), "schema": (dict, bool)}),
    "stop-reason": Spec({"value": (str, list)}),
    "latency": Spec({"under_ms": _NUMBER}),
    "cost": Spec({"under_usd": _NUMBER}),
}
KINDS = tuple(SPECS)


class Check(Struct, frozen=True):
    index: int
    kind: str
    params: dict[str, Any]
    label: str

    @property
    def where(self) -> str:
        return f"checks[{self.index}]"

    def variables(self) -> list[str]:
        """The ``{{name}}`` variables in the check's strings, in order of first use."""
        found: dict[str, None] = {}
        _walk(self.params, lambda s: [found.setdefault(n, None) for n in names_in_text(s)] and s)
        return list(found)

    def filled(self, values: Mapping[str, str]) -> dict[str, Any]:
        if self.kind == "regex":  # a filled value is literal text in a pattern
            escaped = {k: re.escape(v) for k, v in values.items()}
            return {**self.params, "pattern": fill_text(self.params["pattern"], escaped)}
        return _walk(self.params, lambda s: fill_text(s, values))

    def judge(self, observed: Observed, values: Mapping[str, str]) -> Verdict:
        try:
            status, why = _JUDGES[self.kind](self, observed, self.filled(values))
        except Exception as exc:  # noqa: BLE001 (a check never stops the run: one line)
            status, why = ERROR, f"cannot judge: {type(exc).__name__}: {exc}"
        return Verdict(self.index, self.kind, self.label, status, why)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params,
                **({"label": self.label} if self.label != default_label(self.kind, self.params)
                   else {})}


def _walk(value: Any, fn: Callable[[str], Any]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, fn) for k, v in value.items()}
    return value


def short(value: Any, limit: int = 60) -> str:
    """A value as a verdict quotes it: JSON for non-strings, cut at ``limit`` characters."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def default_label(kind: str, params: Mapping[str, Any]) -> str:
    match kind:
        case "contains" | "not-contains" | "equals":
            return f"{kind} {short(params.get('value'), 40)}"
        case "regex":
            return f"regex /{params.get('pattern')}/"
        case "json-path":
            value = "" if params.get("op") == "exists" else f" {short(params.get('value'), 30)}"
            return f"{params.get('path')} {params.get('op')}{value}"
        case "tool-call":
            return f"calls {params.get('name')}"
        case "stop-reason":
            return f"stop reason {short(params.get('value'), 40)}"
        case "latency":
            return f"latency < {params.get('under_ms')} ms"
        case "cost":
            return f"cost < ${params.get('under_usd')}"
    return kind


def parse_check(data: Any, index: int) -> Check:
    """A check from the suite file; CheckError naming ``checks[index]`` and what is wrong."""
    where = f"checks[{index}]"
    if not isinstance(data, dict):
        raise CheckError(f"{where}: a check must be an object with a kind")
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        raise CheckError(f"{where}: kind is missing (one of {', '.join(KINDS)})")
    spec = SPECS.get(kind)
    if spec is None:
        raise CheckError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise CheckError(f"{where}: label must be a string")
    params = {k: v for k, v in data.items() if k not in ("kind", "label")}
    for key in params:
        if key not in spec.required and key not in spec.optional:
            allowed = [*spec.required, *spec.optional, "label"]
            raise CheckError(f"{where}: {kind} has no field {key!r} (it takes "
                             f"{', '.join(allowed)})")
    for key, types in {**spec.required, **spec.optional}.items():
        if key not in params:
            if key in spec.required:
                raise CheckError(f"{where}: {kind} needs {key!r}")
            continue
        value = params[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise CheckError(f"{where}: {key} must be {_type_names(types)}")
    _validate(kind, params, where)
    return Check(index, kind, params, label or default_label(kind, params))


def _type_names(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true or false",
             list: "a list", dict: "an object"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def _validate(kind: str, params: dict[str, Any], where: str) -> None:
    if kind == "regex" and not names_in_text(params["pattern"]):
        try:
            re.compile(params["pattern"])
        except re.error as exc:
            raise CheckError(f"{where}: pattern is not a regular expression: {exc}") from None
    if "schema" in params:
        try:
            jsonschema.validators.validator_for(params["schema"]).check_schema(params["schema"])
        except jsonschema.SchemaError as exc:
            raise CheckError(f"{where}: schema is not a JSON Schema: {exc.message}") from None
    if kind == "json-path":
        try:
            jsonpath.parse(params["path"])
        except jsonpath.PathError as exc:
            raise CheckError(f"{where}: {exc}") from None
        if params["op"] not in OPS:
            raise CheckError(f"{where}: op {params['op']!r} is not one of {', '.join(OPS)}")
        if params["op"] != "exists" and "value" not in params:
            raise CheckError(f"{where}: json-path {params['op']} needs 'value'")
        if params["op"] in ("greater-than", "less-than") and _number(params["value"]) is None:
            if not (isinstance(params["value"], str) and names_in_text(params["value"])):
                raise CheckError(f"{where}: {params['op']} needs a number as value")
    if kind == "stop-reason" and isinstance(params["value"], list):
        if not params["value"] or not all(isinstance(v, str) for v in params["value"]):
            raise CheckError(f"{where}: value must be a stop reason or a list of them")
    for key in ("under_ms", "under_usd"):
        if key in params and not (params[key] >= 0 and math.isfinite(params[key])):
            raise CheckError(f"{where}: {key} must be a number of at least 0")


# -- judging -----------------------------------------------------------------------------------


def _fold(text: str, params: Mapping[str, Any]) -> str:
    return text.casefold() if params.get("ignore_case") else text


def _contains(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    found = _fold(p["value"], p) in _fold(seen.text, p)
    if check.kind == "not-contains":
        return ((FAIL, f"reply contains {short(p['value'])}") if found
                else (PASS, f"reply does not contain {short(p['value'])}"))
    return ((PASS, f"reply contains {short(p['value'])}") if found
            else (FAIL, f"reply does not contain {short(p['value'])}"))


def _equals(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    if _fold(seen.text.strip(), p) == _fold(p["value"].strip(), p):
        return PASS, f"reply is {short(p['value'])}"
    return FAIL, f"reply is {short(seen.text.strip())}, expected {short(p['value'])}"


def _regex(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    try:
        pattern = re.compile(p["pattern"], re.IGNORECASE if p.get("ignore_case") else 0)
    except re.error as exc:
        return ERROR, f"/{p['pattern']}/ is not a regular expression: {exc}"
    match = pattern.search(seen.text)
    if match:
        return PASS, f"reply matches /{p['pattern']}/ at {short(match.group(0), 40)}"
    return FAIL, f"reply does not match /{p['pattern']}/"


_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n?```$", re.S)


def reply_json(text: str) -> tuple[bool, Any, str]:
    """(is JSON, the value, why not): the reply, or the inside of the one fence it is."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    if not stripped:
        return False, None, "reply is empty"
    try:
        return True, json.loads(stripped), ""
    except ValueError as exc:
        return False, None, f"reply is not JSON: {exc}"


def _is_json(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    ok, _, why = reply_json(seen.text)
    return (PASS, "reply is JSON") if ok else (FAIL, why)


def schema_problem(value: Any, schema: Any) -> str | None:
    """Why ``value`` does not match ``schema`` (the most relevant error, with its path)."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    return f"{error.json_path}: {error.message}"


def _json_schema(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    ok, value, why = reply_json(seen.text)
    if not ok:
        return FAIL, why
    problem = schema_problem(value, p["schema"])
    return (FAIL, problem) if problem else (PASS, "reply matches the schema")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def same_value(actual: Any, expected: Any) -> bool:
    """Equal as JSON; a string (a filled variable is one) also equals a number, true, false,
    null, list or object written the same way."""
    if isinstance(expected, str) and not isinstance(actual, str):
        if isinstance(actual, int | float) and not isinstance(actual, bool):
            return _number(expected) == actual
        return json.dumps(actual, ensure_ascii=False) == expected.strip()
    if isinstance(actual, bool) != isinstance(expected, bool):
        return False
    return bool(actual == expected)


_SYMBOL = {"equals": "=", "greater-than": ">", "less-than": "<", "contains": "contains"}


def _json_path(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    ok, value, why = reply_json(seen.text)
    if not ok:
        return FAIL, why
    path, op, want = p["path"], p["op"], p.get("value")
    found, actual, reached = jsonpath.find(value, jsonpath.parse(path))
    if not found:
        return FAIL, f"{path} not found (the reply has {reached} but not the next step)"
    if op == "exists":
        return PASS, f"{path} = {short(actual)}"
    expectation = f"expected {_SYMBOL[op]} {short(want)}"
    if op == "equals":
        passed = same_value(actual, want)
    elif op == "contains":
        if isinstance(actual, str):
            passed = str(want) in actual
        elif isinstance(actual, list):
            passed = any(same_value(item, want) for item in actual)
        elif isinstance(actual, dict):
            passed = str(want) in actual
        else:
            return FAIL, f"{path} = {short(actual)}, not a string, list or object to contain"
    else:
        number, limit = _number(actual), _number(want)
        if limit is None:
            return ERROR, f"{op} needs a number, got {short(want)}"
        if number is None or isinstance(actual, str):
            return FAIL, f"{path} = {short(actual)}, not a number ({expectation})"
        passed = number > limit if op == "greater-than" else number < limit
    return (PASS if passed else FAIL), f"{path} = {short(actual)}, {expectation}"


def subset_problem(actual: Any, wanted: Any, here: str = "") -> str | None:
    """Why ``actual`` does not contain ``wanted`` (objects: every wanted key, recursively;
    anything else: equal as in ``same_value``)."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return f"{here or 'arguments'} is {short(actual)}, not an object"
        for key, value in wanted.items():
            if key not in actual:
                return f"{here + '.' if here else ''}{key} is missing"
            problem = subset_problem(actual[key], value, f"{here + '.' if here else ''}{key}")
            if problem:
                return problem
        return None
    if same_value(actual, wanted):
        return None
    return f"{here or 'arguments'} is {short(actual)}, expected {short(wanted)}"


def _tool_call(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    name = p["name"]
    calls = [args for called, args in seen.tool_calls if called == name]
    if not calls:
        others = ", ".join(dict.fromkeys(c for c, _ in seen.tool_calls)) or "no tool"
        return FAIL, f"no call to {name} (called: {others})"
    problems = []
    for args in calls:
        problem = None
        if "arguments" in p:
            problem = subset_problem(args, p["arguments"])
        if problem is None and "schema" in p:
            problem = schema_problem(args, p["schema"])
        if problem is None:
            return PASS, f"called {name}({short(args, 80)})"
        problems.append(problem)
    return FAIL, f"{name} was called, but {problems[0]}"


def _stop_reason(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    wanted = p["value"] if isinstance(p["value"], list) else [p["value"]]
    if seen.stop_reason in wanted:
        return PASS, f"stopped with {short(seen.stop_reason)}"
    return FAIL, (f"stopped with {short(seen.stop_reason)}, expected "
                  f"{' or '.join(short(w) for w in wanted)}")


def _latency(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    if seen.latency_ms is None:
        return ERROR, "no timing recorded"
    verdict = PASS if seen.latency_ms < p["under_ms"] else FAIL
    return verdict, f"took {seen.latency_ms:,.0f} ms, limit {p['under_ms']:,} ms"


def _cost(check: Check, seen: Observed, p: dict[str, Any]) -> tuple[str, str]:
    if seen.cost_usd is None:
        return SKIP, seen.cost_note or "no price known"
    verdict = PASS if seen.cost_usd < p["under_usd"] else FAIL
    return verdict, f"cost ${seen.cost_usd:.6f}, limit ${p['under_usd']:g}"


_JUDGES: dict[str, Judge] = {
    "contains": _contains, "not-contains": _contains, "equals": _equals, "regex": _regex,
    "is-json": _is_json, "json-schema": _json_schema, "json-path": _json_path,
    "tool-call": _tool_call, "stop-reason": _stop_reason, "latency": _latency, "cost": _cost,
}
assert set(_JUDGES) == set(SPECS)
