"""Conversation formats: import with auto-detection, and export.

Every module or package in this package except ``base`` and those named ``_*`` is a format and
defines ``FORMAT`` (see base.py); they are found by listing the package, so adding a format is
adding a module. The four wire formats are packages of one shape: ``detect``, ``read``, ``write``
and ``wire`` (the protocol's names and helpers the other three share).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

from composer.models import jsontext, variables
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.files import parse_json, parse_json_counted
from composer.models.formats.base import Exported, Format, Imported, Loss, guarded

__all__ = ["Exported", "Format", "Imported", "Loss", "all_formats", "export", "get", "import_data",
           "import_path", "import_text", "detect"]

SQLITE_MAGIC = b"SQLite format 3\x00"


@cache
def all_formats() -> tuple[Format, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(module.FORMAT)
    return tuple(sorted(found, key=lambda f: f.name))


def get(name: str) -> Format:
    for fmt in all_formats():
        if fmt.name == name:
            return fmt
    names = ", ".join(f.name for f in all_formats())
    raise FormatError(f"unknown format {name!r}; known formats: {names}")


def importers() -> list[Format]:
    return [f for f in all_formats() if f.load is not None]


def exporters() -> list[Format]:
    return [f for f in all_formats() if f.dump is not None]


def _parse(text: str, source: str | None) -> tuple[str, Any, int]:
    """('json', value, repaired) when text is one JSON value; ('text', text, repaired)
    otherwise; ``repaired`` counts lone surrogates replaced with U+FFFD. JSON too deep or
    with a number too long to read is a FormatError: it is JSON, and no format can take it."""
    try:
        value, repaired = jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        if exc.line is None or exc.msg.startswith("a number too long"):
            raise FormatError(f"invalid JSON: {exc.msg}", source=source,
                              location=exc.location) from None
        text, repaired = jsontext.repair(text)
        return "text", text, repaired
    return "json", value, repaired


def _score(fmt: Format, data: Any) -> float:
    """A detector's score; one that fails on input it did not expect is not sure of it (the
    fuzz suite calls detectors directly, so such a failure is still found and fixed)."""
    try:
        score = fmt.detect(data)  # type: ignore[misc]
    except Exception:
        return 0.0
    return score if isinstance(score, int | float) else 0.0


def detect(text: str, source: str | None = None) -> Format:
    return _detect(text, source)[0]


def _detect(text: str, source: str | None) -> tuple[Format, Any, int]:
    """The best format for ``text``, what its ``load`` takes (the parsed JSON, or the text), and
    how many lone surrogates were replaced.

    One JSON value is parsed once and offered to every format; a text format (Markdown,
    ShareGPT JSONL) gets the parsed value too, so JSON never goes through the Markdown parser.
    """
    kind, value, repaired = _parse(text, source)
    if kind == "text":
        text = value
    best: tuple[float, Format] | None = None
    for fmt in importers():
        if fmt.detect is None or fmt.input_kind == "binary":
            continue
        if fmt.input_kind == "json" and kind != "json":
            continue
        score = _score(fmt, value)
        if score > 0 and (best is None or score > best[0]):
            best = (score, fmt)
    if best is None:
        if kind == "json":
            raise FormatError("JSON, but not a conversation format Composer knows", source=source)
        if text.lstrip()[:1] in ("{", "["):
            parse_json(text, source)  # raises, saying where the JSON breaks
        raise FormatError("not a conversation format Composer knows", source=source)
    fmt = best[1]
    if fmt.input_kind == "json":
        return fmt, value, repaired
    # A text format reads the text itself (JSON lines): what it read is repaired after it.
    return fmt, text, repaired if kind == "text" else 0


def _with_repairs(imported: Imported, repaired: int) -> Imported:
    if repaired:
        imported.losses.append(Loss(jsontext.replaced_note(repaired)))
    return imported


def import_text(text: str, fmt: str | None = None, source: str | None = None) -> Imported:
    if fmt is None:
        # Detection parsed the text already: a big file is not parsed twice.
        chosen, value, repaired = _detect(text, source)
        return _with_repairs(_guarded(chosen, value, source), repaired)
    chosen = get(fmt)
    if chosen.load is None:
        raise FormatError(f"{chosen.name} can be exported, not imported", source=source)
    if chosen.input_kind == "binary":
        raise FormatError(f"{chosen.name} is read from a file, not text", source=source)
    if chosen.input_kind == "json":
        value, repaired = parse_json_counted(text, source)
    else:
        value, repaired = jsontext.repair(text)
    return _with_repairs(_guarded(chosen, value, source), repaired)


def import_data(value: Any, fmt: str | None = None, source: str | None = None) -> Imported:
    """Import an already-parsed JSON value (a clipboard paste, a recording's request body)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise FormatError(f"not a JSON value ({type(exc).__name__})", source=source) from None
    # Through the text, so the value gets the same checks (depth, Unicode) as a file.
    return import_text(text, fmt, source)


def import_path(path: str | os.PathLike[str], fmt: str | None = None) -> Imported:
    source = str(path)
    p = Path(path)
    try:
        head = p.open("rb").read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=source) from None
    chosen = get(fmt) if fmt else None
    if head == SQLITE_MAGIC and (chosen is None or chosen.input_kind == "binary"):
        binary = chosen or next(f for f in importers() if f.input_kind == "binary")
        return _guarded(binary, source, source)
    if chosen is not None and chosen.input_kind == "binary":
        raise FormatError(f"not an SQLite database, so not {chosen.name}", source=source)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", source=source) from None
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=source) from None
    return import_text(text, fmt, source)


def _guarded(fmt: Format, value: Any, source: str | None) -> Imported:
    """Run an importer; anything but a FormatError is a bug in it, but still becomes one line.

    What it made is checked as a conversation file is: a value is not checked when it is made,
    so a type an importer's own checks let by (a number where a file should have had text) is
    caught here, not in the window. A JSON format's input was made valid Unicode when it was
    parsed; a text or binary format parses its input itself (JSON lines, SQLite), so what it
    read is repaired here."""
    def load(data: Any, where: str | None) -> Imported:
        imported = fmt.load(data, where)  # type: ignore[misc]
        if fmt.name == "composer":  # our own file: checked as it was read (files.from_data)
            return imported
        made, repaired = imported.conversation.to_dict(), 0
        if fmt.input_kind != "json":
            made, repaired = jsontext.repair_value(made)
        if repaired:
            imported.losses.append(Loss(jsontext.replaced_note(repaired)))
        imported.conversation = Conversation.model_validate(made)
        return imported

    return guarded(fmt.title)(load)(value, source)


def export(conversation: Conversation, fmt: str) -> Exported:
    chosen = get(fmt)
    if chosen.dump is None:
        raise FormatError(f"{chosen.name} can be imported, not exported")
    if chosen.name == "composer":
        return chosen.dump(conversation)  # our own file keeps variables and every branch
    conversation, notes = _fill_variables(conversation)
    exported = chosen.dump(conversation)
    exported.losses[:0] = notes
    tree = conversation.kept_tree()
    if tree is not None and tree.other_branches():
        exported.losses.append(branches_left_out(tree.other_branches()))
    return exported


def branches_left_out(count: int) -> Loss:
    """The note every export of a conversation with branches adds: only the table went."""
    what = "1 other branch was" if count == 1 else f"{count} other branches were"
    return Loss(f"{what} not exported (only the active path)", dropped=True)


def _fill_variables(conversation: Conversation) -> tuple[Conversation, list[Loss]]:
    """A foreign format has no variables: write them filled in where a value is known, say so,
    and name the ones left as written."""
    used = variables.find(conversation)
    if not used:
        return conversation, []
    values = conversation.variable_values
    known = {name: values[name] for name in used if name in values}
    notes = []
    if known:
        notes.append(Loss(f"variables filled in with their values: {', '.join(known)}"))
    if gaps := [name for name in used if name not in values]:
        notes.append(Loss("variables without a value left as written: "
                          + ", ".join(f"{{{{{name}}}}}" for name in gaps)))
    filled = variables.fill_known(conversation, known)
    filled.set_tree(conversation.tree)
    return filled, notes
