"""What each provider does with a response schema: the JSON Schema keywords it does not take,
named before sending, and whether it has a strict mode.

A small explicit table per protocol, from the providers' own documentation (late 2025):

- OpenAI (Chat Completions ``response_format.json_schema``, Responses ``text.format``) in
  strict mode: the root is an object, every object sets ``additionalProperties: false`` and
  lists every property in ``required``, and some keywords are refused (400). Without
  ``strict`` the schema is a hint and nothing is refused.
- Anthropic structured outputs (``output_config.format``): always enforced, no strict toggle;
  no numeric or string-length constraints, ``minItems`` 0 or 1 only, objects closed with
  ``additionalProperties: false``.
- Gemini: Gemini's own dialect (``responseSchema``, an OpenAPI subset) answers 400 to a
  keyword it does not know; plain JSON Schema (``responseJsonSchema``) has the keywords it
  ignores. No strict mode.

Each finding is a note, not a refusal: a table goes stale sooner than a provider, whose own
answer still comes if the user sends anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from composer.models.formats.gemini.write import _is_gemini_schema

OPENAI_STRICT_REFUSED = frozenset({
    "allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
    "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "unevaluatedItems", "contains", "minContains", "maxContains",
    "uniqueItems", "minLength", "maxLength"})
ANTHROPIC_REFUSED = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "maxItems", "uniqueItems", "minProperties", "maxProperties"})
# Gemini's own dialect: the fields of its Schema object (anything else is a 400).
GEMINI_SCHEMA_FIELDS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
    "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum",
    "maximum"})
# Plain JSON Schema sent as responseJsonSchema: what Gemini reads (the rest it ignores).
GEMINI_JSON_SCHEMA_KEYWORDS = frozenset({
    "$id", "$defs", "$ref", "$anchor", "$schema", "type", "format", "title", "description",
    "enum", "const", "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum",
    "anyOf", "oneOf", "properties", "additionalProperties", "required", "propertyOrdering",
    "nullable", "default", "definitions"})

# Keywords whose value is a map of name -> subschema, a subschema, or a list of them.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = ("additionalProperties", "items", "not", "if", "then", "else", "contains",
               "propertyNames", "unevaluatedProperties", "unevaluatedItems")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems", "items")
MAX_NOTES = 8


def subschemas(schema: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (JSON path in the schema, schema object) of ``schema``, itself first."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in _SCHEMA_MAPS:
        value = schema.get(key)
        if isinstance(value, dict):
            for name, sub in value.items():
                yield from subschemas(sub, f"{path}.{key}.{name}")
    for key in _SCHEMA_ONE:
        yield from subschemas(schema.get(key), f"{path}.{key}")
    for key in _SCHEMA_LISTS:
        value = schema.get(key)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                yield from subschemas(sub, f"{path}.{key}[{i}]")


def _is_object(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or (
        kind is None and "properties" in node)


def _openai_strict(schema: dict[str, Any]) -> Iterator[str]:
    if schema.get("type") != "object":
        yield "$: the root must be an object (type: object), not anyOf or another type"
    for path, node in subschemas(schema):
        for key in sorted(OPENAI_STRICT_REFUSED & node.keys()):
            yield f"{path}: {key} is not supported in strict mode"
        if _is_object(node):
            if node.get("additionalProperties") is not False:
                yield f"{path}: strict mode needs additionalProperties: false"
            props = node.get("properties")
            missing = [name for name in (props or {}) if name not in (node.get("required") or [])]
            if missing:
                yield (f"{path}: strict mode needs every property required (not: "
                       f"{', '.join(missing)}); make an optional one nullable instead")


def _anthropic(schema: dict[str, Any]) -> Iterator[str]:
    for path, node in subschemas(schema):
        for key in sorted(ANTHROPIC_REFUSED & node.keys()):
            yield f"{path}: {key} is not supported"
        min_items = node.get("minItems")
        if isinstance(min_items, int) and min_items > 1:
            yield f"{path}: minItems {min_items} is not supported (0 or 1 only)"
        if _is_object(node) and node.get("additionalProperties") is not False:
            yield f"{path}: objects need additionalProperties: false"


def _gemini(schema: dict[str, Any]) -> Iterator[str]:
    own = _is_gemini_schema(schema)
    allowed = GEMINI_SCHEMA_FIELDS if own else GEMINI_JSON_SCHEMA_KEYWORDS
    verb = "is refused by responseSchema" if own else "is ignored"
    for path, node in subschemas(schema):
        for key in sorted(node.keys() - allowed):
            yield f"{path}: {key} {verb}"


def schema_notes(schema: dict[str, Any] | None, protocol: str, strict: bool | None
                 ) -> list[str]:
    """What ``protocol`` will not take of ``schema`` (with ``strict`` as set), one line each,
    at most MAX_NOTES (and a count of the rest)."""
    if not isinstance(schema, dict):
        return []
    found: list[str] = []
    if protocol in ("openai-chat", "openai-responses"):
        if strict:
            found = [f"OpenAI strict schema: {line}" for line in _openai_strict(schema)]
    elif protocol == "anthropic":
        if strict is not None:
            found.append("strict: Anthropic has no strict toggle (its structured output always "
                         "follows the schema); it is not sent")
        found += [f"Anthropic structured output: {line}" for line in _anthropic(schema)]
    elif protocol == "gemini":
        if strict is not None:
            found.append("strict: Gemini has no strict mode; it is not sent")
        found += [f"Gemini schema: {line}" for line in _gemini(schema)]
    if len(found) > MAX_NOTES:
        found = [*found[:MAX_NOTES], f"(+{len(found) - MAX_NOTES} more schema notes)"]
    return found
