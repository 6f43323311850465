"""Readers for the settings written as JSON: tools, response schema, extra body, extra headers.

Each takes an editor's text ('' means none) and returns the value to store, or raises
SettingsError naming its field and the JSON path of the problem (``$[1].parameters: ...``).
"""

from __future__ import annotations

import json
from typing import Any

from composer.models import jsontext
from composer.models.files import validation_location
from composer.models.problems import Field, SettingsError
from composer.models.settings import SECRET_HEADERS, Tool
from composer.models.tool_kinds import tool_problem


def _load_json(text: str, field: Field) -> Any:
    try:
        return jsontext.loads(text)[0]
    except jsontext.JSONTextError as exc:
        where = f"{exc.location}: " if exc.location else ""
        raise SettingsError(field, f"{where}invalid JSON: {exc.msg}") from None


def parse_tools(text: str) -> list[Tool]:
    """A JSON array of {name, description, parameters} (function tools, "strict" optional)
    or {"type": "custom", name, description, format?}; one object alone is a list of one."""
    if not text.strip():
        return []
    data = _load_json(text, Field.TOOLS)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise SettingsError(Field.TOOLS, "$: expected a JSON array of tool definitions")
    return [_tool(i, item) for i, item in enumerate(data)]


def _tool(i: int, item: Any) -> Tool:
    def bad(where: str, problem: str) -> SettingsError:
        return SettingsError(Field.TOOLS, f"$[{i}]{where}: {problem}")

    if not isinstance(item, dict):
        raise bad("", "expected an object with name, description, parameters")
    if not isinstance(item.get("name"), str) or not item["name"].strip():
        raise bad(".name", "a tool needs a non-empty name")
    if "parameters" in item and not isinstance(item["parameters"], dict):
        raise bad(".parameters", "must be a JSON Schema object")
    if problem := tool_problem(item):
        where, _, problem = problem.partition(": ")
        raise bad(where, problem)
    from pydantic import ValidationError  # (imported with the first tool checked)

    try:
        return Tool.model_validate(item)
    except ValidationError as exc:
        where, problem = validation_location(exc)
        raise bad(where[1:], problem) from None


def parse_schema(text: str) -> dict[str, Any] | None:
    """A response schema: a JSON Schema object (checked with jsonschema's ``check_schema``;
    Gemini's own dialect is read as the JSON Schema it stands for)."""
    if not text.strip():
        return None
    data = _load_json(text, Field.RESPONSE_SCHEMA)
    if not isinstance(data, dict):
        raise SettingsError(Field.RESPONSE_SCHEMA, "$: a response schema is a JSON Schema object")
    kind = data.get("type")
    if kind is not None and not isinstance(kind, str | list):
        raise SettingsError(Field.RESPONSE_SCHEMA, '$.type: must be a string such as "object"')
    if "properties" in data and not isinstance(data["properties"], dict):
        raise SettingsError(Field.RESPONSE_SCHEMA, "$.properties: must be an object")
    from composer.models.structured import schema_problem  # jsonschema loads on first use

    if (problem := schema_problem(data)) is not None:
        raise SettingsError(Field.RESPONSE_SCHEMA, f"not a JSON Schema: {problem}")
    return data


def parse_extra_body(text: str) -> dict[str, Any]:
    """A JSON object merged last into the request body."""
    if not text.strip():
        return {}
    data = _load_json(text, Field.EXTRA_BODY)
    if not isinstance(data, dict):
        raise SettingsError(Field.EXTRA_BODY,
                            "$: the extra body is a JSON object of fields to add to the request")
    return data


def parse_headers(text: str) -> dict[str, str]:
    """A JSON object of header names to string values. A key header is refused: keys live in
    the keychain, and settings are saved in files."""
    if not text.strip():
        return {}
    data = _load_json(text, Field.HEADERS)
    if not isinstance(data, dict):
        raise SettingsError(Field.HEADERS,
                            '$: headers are a JSON object, e.g. {"X-Title": "my app"}')
    for name, value in data.items():
        if not isinstance(value, str):
            raise SettingsError(Field.HEADERS, f"$.{name}: a header value must be a string")
        if name.lower() in SECRET_HEADERS:
            raise SettingsError(Field.HEADERS, f"$.{name}: a key does not go in headers (they "
                                "are saved with the conversation); store it in Settings, in "
                                "the keychain")
    return data


def json_text(value: Any) -> str:
    """A JSON setting as its editor shows it; '' for none."""
    return json.dumps(value, ensure_ascii=False, indent=2) if value else ""


# Field -> (the settings attribute it is stored in, its reader).
READERS = {
    Field.TOOLS: ("tools", parse_tools),
    Field.RESPONSE_SCHEMA: ("response_schema", parse_schema),
    Field.EXTRA_BODY: ("extra_body", parse_extra_body),
    Field.HEADERS: ("headers", parse_headers),
}
