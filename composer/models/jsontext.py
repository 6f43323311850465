"""JSON and text that came from outside (a file, the clipboard, the wire), made safe to hold.

``loads`` is ``json.loads`` with the failures hostile input can cause made one exception type,
``JSONTextError`` (with a line and column where there is one): malformed JSON, nesting deeper
than ``MAX_DEPTH`` (Python's own parser overflows the stack near 1,000 levels, and copying or
saving a value nested a few hundred deep would), and integers too long for ``int``.

``loads_object`` is the one reader of a JSON object typed or read by hand (tool-call arguments,
an editor, a key file): ``loads`` plus "it must be an object".

``repair`` makes text valid Unicode: a JSON string may hold ``"\\ud800"``, a lone UTF-16
surrogate, which no UTF-8 file can hold, so saving would fail later. A surrogate pair split over
two strings (a stream's deltas) is joined when the strings are; whatever stays lone becomes
U+FFFD, and the caller reports how many.
"""

from __future__ import annotations

import json
import re
from typing import Any

from msgspec.json import decode as from_json

# Deep enough for any real conversation (JSON Schemas, tool arguments); shallow enough that
# deepcopy and json.dumps of it never approach the interpreter's recursion limit.
MAX_DEPTH = 100

_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON text, a \uD800-\uDFFF escape (a raw surrogate is looked for apart: two simple
# searches are several times faster than one alternation).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_INT = re.compile(r"\d{4301,}")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_INNERMOST = re.compile(r"[\[{][^\[\]{}]*[\]}]")


KIND_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
          int: "a number", float: "a number", type(None): "null"}


def json_kind(value: Any) -> str:
    """A JSON value's type as an error message names it: "an object", "null"..."""
    return KIND_NAMES.get(type(value), "a value")


class JSONTextError(ValueError):
    def __init__(self, msg: str, line: int | None = None, column: int | None = None):
        super().__init__(msg)
        self.msg = msg
        self.line = line
        self.column = column

    @property
    def location(self) -> str | None:
        return f"line {self.line} column {self.column}" if self.line is not None else None


def _position(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def loads(text: str | bytes, *, repair_text: bool = True) -> tuple[Any, int]:
    """(value, how many lone surrogates were replaced). Raises JSONTextError.

    With ``repair_text`` False the strings are left as they came (a stream's delta, whose other
    half of a surrogate pair is in the next event) and the count is 0.
    """
    if type(text) is not str:
        if isinstance(text, bytes | bytearray):
            found = utf8_value(text)
            if found is not None:
                return found
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise JSONTextError(f"not UTF-8 text (byte {exc.start})") from None
        found = _read(text)
    else:
        found = value(text)
    if repair_text and (_SURROGATE_ESCAPE.search(text) is not None or has_surrogate(text)):
        return _repair_in_place(found)
    return found, 0


def utf8_value(data: bytes | bytearray) -> tuple[Any, int] | None:
    """``loads`` of UTF-8 bytes (no BOM) read by msgspec's parser straight from the bytes;
    None for whatever it refuses or is nested too deep, which ``loads`` of the decoded text
    reads or words the problem of. It refuses every lone surrogate, escaped or not, so
    what it reads needs no repair (0 replaced). A file read this way never becomes one Python
    string: a 20 MB file with one character beyond the BMP would be 80 MB of it, and json's
    reading of that string takes three times as long."""
    if data.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        found = from_json(data)
    except Exception:  # noqa: BLE001  (not UTF-8, not JSON, a lone surrogate escape)
        return None
    if (data.count(b"[") + data.count(b"{") > MAX_DEPTH) and _nests_deeper(found, MAX_DEPTH):
        return None
    return found, 0


def _nests_deeper(value: Any, depth: int) -> bool:
    """Whether a parsed value has arrays and objects nested more than ``depth`` deep (a walk
    over its containers only: a real file is a handful of levels)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    containers = (dict, list)
    while stack:
        node, level = stack.pop()
        if type(node) not in containers:
            continue
        if level > depth:
            return True
        inner = node.values() if type(node) is dict else node
        stack.extend((child, level + 1) for child in inner if type(child) in containers)
    return False


def value(text: str) -> Any:
    """The value of JSON ``text`` with its strings as they came (``loads`` without the repair:
    a stream's event). Raises JSONTextError.

    The usual text is read by msgspec's parser (several times json's speed on a stream event).
    It reads what json reads, to the same values (the same floats, long integers refused
    alike), and refuses some of it (a lone surrogate escape, NaN, a float that overflows):
    what it refuses json reads, and words the problem."""
    if len(text) <= 2 * MAX_DEPTH + 1 or text.count("[") + text.count("{") <= MAX_DEPTH:
        try:  # (too short to nest too deep and close, or too few brackets)
            return from_json(text)
        except Exception:  # noqa: BLE001  (a raw lone surrogate is a TypeError to it)
            pass
    return _read(text)


def _read(text: Any) -> Any:
    """``text``'s value by json, which words what is wrong with it."""
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JSONTextError(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # an integer beyond int's digit limit
        found = _LONG_INT.search(text)
        where = _position(text, found.start()) if found else (None, None)
        raise JSONTextError(f"a number too long to read ({str(exc).split(':')[0]})",
                            *where) from None
    if _too_deep(text):
        raise JSONTextError(f"nested more than {MAX_DEPTH} levels deep")
    return found


class NotAnObject(JSONTextError):
    """Valid JSON, but not the object that was asked for."""


def loads_object(text: str, what: str = "the value") -> dict[str, Any]:
    """The one JSON object in ``text`` (blank text is ``{}``): tool-call arguments, a key file,
    an editor's text. Raises JSONTextError (with line and column when the JSON breaks), or
    NotAnObject naming ``what`` and what it is instead."""
    if not text.strip():
        return {}
    value, _ = loads(text)
    if not isinstance(value, dict):
        raise NotAnObject(f"{what} must be a JSON object, not {json_kind(value)}")
    return value


def _too_deep(valid_json: str) -> bool:
    """Whether a valid JSON text nests deeper than MAX_DEPTH: with its strings taken out, each
    pass of one regex removes the innermost brackets; still brackets after MAX_DEPTH passes is
    too deep. All in C, and a real file is a handful of passes over its structure only."""
    if valid_json.count("[") + valid_json.count("{") <= MAX_DEPTH:
        return False
    structure = _STRING.sub("", valid_json)
    for _ in range(MAX_DEPTH):
        structure, removed = _INNERMOST.subn("", structure)
        if not removed:
            return False
    return "[" in structure or "{" in structure


def _repair_in_place(value: Any) -> tuple[Any, int]:
    """Repair every string (keys too) of a freshly parsed value, without recursion."""
    fixed = 0
    if isinstance(value, str):
        return repair(value)
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(_SURROGATE.search(k) for k in node):
                items = list(node.items())
                node.clear()
                for k, v in items:
                    k, n = repair(k)
                    fixed += n
                    node[k] = v
            for k, v in node.items():
                if isinstance(v, dict | list):
                    stack.append(v)
                elif isinstance(v, str):
                    node[k], n = repair(v)
                    fixed += n
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, dict | list):
                    stack.append(v)
                elif isinstance(v, str):
                    node[i], n = repair(v)
                    fixed += n
    return value, fixed


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def repair(text: str) -> tuple[str, int]:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD, and how
    many were replaced."""
    if not has_surrogate(text):
        return text, 0
    before = text.count("\ufffd")
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined, joined.count("\ufffd") - before


def repair_value(value: Any) -> tuple[Any, int]:
    """Every string in a JSON-like value (dicts, lists, strings) repaired; a new value when
    anything changed."""
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            k, a = repair(k) if isinstance(k, str) else (k, 0)
            v, b = repair_value(v)
            out[k] = v
            total += a + b
        return (out, total) if total else (value, 0)
    if isinstance(value, list):
        items, total = [], 0
        for v in value:
            v, n = repair_value(v)
            items.append(v)
            total += n
        return (items, total) if total else (value, 0)
    return value, 0


def replaced_note(count: int) -> str:
    return (f"{count} invalid character(s) (lone UTF-16 surrogates, which no UTF-8 file can "
            f"hold) replaced with U+FFFD")
