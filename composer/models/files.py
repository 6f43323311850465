"""Reading and writing our two files, the conversation file and the exchange file.

Writes are atomic: a temp file beside the target, fsync, rename. Reads check the format version:
an older file is upgraded, a newer one is refused with a clear message. Every failure is a
FormatError naming the file, the place and the problem.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from composer.models import jsontext
from composer.models.conversation import CONVERSATION_VERSION, Conversation
from composer.models.errors import FormatError, VersionError
from composer.models.exchange import EXCHANGE_VERSION, Exchange

_CURRENT = {"conversation": CONVERSATION_VERSION, "exchange": EXCHANGE_VERSION}


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps(doc: Conversation | Exchange) -> str:
    return json.dumps(doc.to_dict(), ensure_ascii=False, indent=2) + "\n"


def save(doc: Conversation | Exchange, path: str | os.PathLike[str]) -> None:
    atomic_write_text(path, dumps(doc))


def validation_location(err: ValidationError) -> tuple[str, str]:
    """The first error of a pydantic ValidationError as (JSON path, problem)."""
    first = err.errors()[0]
    path = "$"
    for piece in first.get("loc", ()):
        path += f"[{piece}]" if isinstance(piece, int) else f".{piece}"
    return path, first.get("msg", "invalid value")


def kind_of(data: Any) -> str | None:
    """'conversation' or 'exchange' when data is one of our files, else None."""
    if isinstance(data, dict) and isinstance(data.get("composer"), dict):
        kind = data["composer"].get("kind")
        if isinstance(kind, str) and kind in _CURRENT:
            return kind
        if "prompt" in data and "messages" in data:
            return "exchange"
    return None


def _upgrade(kind: str, data: dict[str, Any], source: str | None) -> dict[str, Any]:
    header = data["composer"]
    version = header.get("format_version", 1)
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"format_version must be a positive integer, not {version!r}",
                          source=source, location="$.composer.format_version")
    if version > _CURRENT[kind]:
        raise VersionError(
            f"this {kind} file is format version {version}; this Composer reads up to "
            f"{_CURRENT[kind]}: update Composer to open it",
            source=source, location="$.composer.format_version",
        )
    # Version 1 is the first; upgrades from older versions are added here as they come.
    return data


def from_data(data: Any, source: str | None = None) -> Conversation | Exchange:
    kind = kind_of(data)
    if kind is None:
        raise FormatError("not a Composer conversation or exchange file", source=source, location="$")
    data = _upgrade(kind, data, source)
    cls = Conversation if kind == "conversation" else Exchange
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        where, problem = validation_location(exc)
        raise FormatError(problem, source=source, location=where) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    return read_json_counted(path)[0]


def read_json_counted(path: str | os.PathLike[str]) -> tuple[Any, int]:
    """A JSON file's value and how many lone surrogates in it were replaced (see jsontext)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=source) from None
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", source=source) from None
    return parse_json_counted(text, source)


def parse_json(text: str, source: str | None = None) -> Any:
    """JSON text from outside as a value safe to hold (see jsontext); a lone surrogate is
    replaced silently here: ``parse_json_counted`` says how many were."""
    return parse_json_counted(text, source)[0]


def parse_json_counted(text: str, source: str | None = None) -> tuple[Any, int]:
    """(value, lone surrogates replaced). Raises FormatError naming where the JSON breaks."""
    try:
        return jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", source=source,
                          location=exc.location) from None


def load(path: str | os.PathLike[str]) -> Conversation | Exchange:
    return from_data(read_json(path), str(path))


def load_conversation(path: str | os.PathLike[str]) -> Conversation:
    """A conversation file, or an exchange file opened as its conversation (reply appended)."""
    doc = load(path)
    return doc.conversation() if isinstance(doc, Exchange) else doc
