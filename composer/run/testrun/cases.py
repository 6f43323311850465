"""Test cases: one value per variable, an optional expected output, optional messages to append.

A case is a row of a table. In a suite it is an object (inline, or one line of a JSONL file, or
one item of a JSON array) or a CSV row under a header. Every key (column) gives a variable its
value, with three exceptions:

- ``id`` names the case (in file names, the summary, messages); default ``case-N``;
- ``expected`` is the expected output (checks reach it as ``{{expected}}``);
- ``messages`` is a list of whole messages appended to the conversation for this case (a
  multi-turn case): ``{"role", "parts"}`` as in a conversation file, or ``{"role", "content":
  "text"}``; in a CSV cell it is that list as JSON.

``id`` and ``expected`` are values too: a check or a row may use ``{{expected}}``. A value that
is not a string (a number, true, an object) is its JSON text. A bad file is refused naming the
file and the line (the item, for a JSON array).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from pydantic import ValidationError

from composer.models.errors import ComposerError, FormatError
from composer.models.files import parse_json, validation_location
from composer.models.parts import Message

RESERVED = ("id", "expected", "messages")


class CaseError(ComposerError):
    """A case that cannot be used; the message names the file or place and the line."""


class Case(Struct, frozen=True):
    id: str
    values: dict[str, str]  # variable -> value, with ``id`` and ``expected`` when given
    messages: list[Message] = field(default_factory=list)
    where: str = ""  # "cases.csv line 4", "cases[2]": what an error about this case names

    @property
    def expected(self) -> str | None:
        return self.values.get("expected")

    @property
    def variables(self) -> dict[str, str]:
        """The values that fill the conversation's variables (``id`` and ``expected`` too)."""
        return self.values

    def describe(self) -> str:
        return f"case {self.id!r} ({self.where})" if self.where else f"case {self.id!r}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _messages(value: Any, where: str) -> list[Message]:
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = parse_json(value)
        except FormatError as exc:
            raise CaseError(f"{where}: messages: {exc.problem}") from None
    if not isinstance(value, list):
        raise CaseError(f"{where}: messages must be a list of messages")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, dict) and isinstance(item.get("content"), str) and "parts" not in item:
            item = {"role": item.get("role"),
                    "parts": [{"type": "text", "text": item["content"]}]}
        try:
            out.append(Message.model_validate(item))
        except ValidationError as exc:
            path, problem = validation_location(exc)
            raise CaseError(f"{where}: messages[{i}]{path[1:]}: {problem}") from None
    return out


def case_from(data: Any, number: int, where: str) -> Case:
    """One case from an object (``number`` counts from 1: the default id is ``case-N``)."""
    if not isinstance(data, dict):
        raise CaseError(f"{where}: a case must be an object of variable values")
    values: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise CaseError(f"{where}: a column without a name")
        if key != "messages":
            values[key.strip()] = _text(value)
    messages = _messages(data["messages"], where) if data.get("messages") else []
    case_id = values.get("id", "").strip() or f"case-{number}"
    return Case(case_id, values, messages, where)


def inline_cases(items: Any, where: str = "cases") -> list[Case]:
    if not isinstance(items, list):
        raise CaseError(f"{where}: expected a list of cases or the path of a CSV, JSONL or "
                        "JSON file")
    return check_ids([case_from(item, i + 1, f"{where}[{i}]") for i, item in enumerate(items)])


def check_ids(cases: list[Case]) -> list[Case]:
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{case.where}: id {case.id!r} is already used by "
                            f"{seen[case.id].where}")
        seen[case.id] = case
    return cases


def parse_csv(text: str, name: str) -> list[Case]:
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CaseError(f"{name} line {reader.line_num}: {exc}") from None
    if not header:
        raise CaseError(f"{name}: no header line (one column per variable)")
    header = [h.strip() for h in header]
    for i, column in enumerate(header):
        if not column:
            raise CaseError(f"{name} line 1: column {i + 1} has no name")
        if column in header[:i]:
            raise CaseError(f"{name} line 1: column {column!r} appears twice")
    cases = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CaseError(f"{name} line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != len(header):
            raise CaseError(f"{name} line {line}: {len(row)} fields, the header has "
                            f"{len(header)}")
        cases.append(case_from(dict(zip(header, row, strict=True)), len(cases) + 1,
                               f"{name} line {line}"))
    return check_ids(cases)


def parse_jsonl(text: str, name: str) -> list[Case]:
    cases = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = parse_json(line)
        except FormatError as exc:
            raise CaseError(f"{name} line {line_no}: {exc.problem}") from None
        cases.append(case_from(value, len(cases) + 1, f"{name} line {line_no}"))
    return check_ids(cases)


def parse_json_cases(text: str, name: str) -> list[Case]:
    try:
        value = parse_json(text)
    except FormatError as exc:
        raise CaseError(f"{name}: {exc.location or 'line 1'}: {exc.problem}") from None
    if isinstance(value, dict) and "cases" in value:
        value = value["cases"]
    if not isinstance(value, list):
        raise CaseError(f"{name}: expected a JSON array of cases")
    lines = _item_lines(text, len(value))
    return check_ids([case_from(item, i + 1, f"{name} line {lines[i]}" if lines[i]
                                else f"{name}: $[{i}]") for i, item in enumerate(value)])


def _item_lines(text: str, count: int) -> list[int | None]:
    """The line each item of a top-level JSON array starts on (None when not found)."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    out: list[int | None] = []
    pos = start + 1
    try:
        for _ in range(count):
            while text[pos] in " \t\r\n,":
                pos += 1
            out.append(text.count("\n", 0, pos) + 1)
            _, pos = decoder.raw_decode(text, pos)
    except (ValueError, IndexError):
        pass
    return out + [None] * (count - len(out))


PARSERS = {".csv": parse_csv, ".jsonl": parse_jsonl, ".ndjson": parse_jsonl,
           ".json": parse_json_cases}


def parse_cases_file(data: bytes, path: Path, shown: str) -> list[Case]:
    """The cases in a file's bytes; the format from its extension."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise CaseError(f"{shown}: cases must be a .csv, .jsonl or .json file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CaseError(f"{shown} line {line}: not UTF-8 text") from None
    return parser(text, shown)
