"""Files that hold several conversations: list them, and import the one the user picks.

An llm logs.db holds threads; ShareGPT JSONL one conversation per line, and the original
ShareGPT dataset a JSON array of them. ``list_choices`` names each (for ``convert
--list-conversations`` and the window's picker); ``load_choice`` imports one by its key. Any
other file holds one conversation and lists none.
"""

from __future__ import annotations

import os
from pathlib import Path

from msgspec import Struct

from composer.models.errors import FormatError
from composer.models.formats import SQLITE_MAGIC, detect, get, import_path, llm_logs, sharegpt
from composer.models.formats.base import Imported


class Choice(Struct, frozen=True):
    key: str  # what load_choice takes: a thread id, or a ShareGPT number
    title: str
    detail: str = ""


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=str(path)) from None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=str(path)) from None


def _is_logs(path: Path, fmt: str | None) -> bool:
    return _head(path) == SQLITE_MAGIC and fmt in (None, llm_logs.FORMAT.name)


def list_choices(path: str | os.PathLike[str], fmt: str | None = None) -> list[Choice]:
    """Every conversation in the file when it can hold several; [] when it holds one."""
    p = Path(path)
    if _is_logs(p, fmt):
        return [Choice(c.id, c.name or "(unnamed)",
                       " · ".join(x for x in (c.model, f"{c.count} turn(s)", c.datetime) if x))
                for c in llm_logs.list_conversations(str(p))]
    if _head(p) == SQLITE_MAGIC:
        return []
    text = _text(p)
    chosen = get(fmt) if fmt else detect(text, str(p))
    if chosen.name != sharegpt.FORMAT.name:
        return []
    listed = sharegpt.list_conversations(text, str(p))
    return [Choice(key, title or "(empty)") for key, title in listed] if len(listed) > 1 else []


def load_choice(path: str | os.PathLike[str], key: str | None,
                fmt: str | None = None) -> Imported:
    """The conversation ``key`` names (see Choice.key); the file's default one when None."""
    p = Path(path)
    if key is None:
        return import_path(p, fmt)
    if _is_logs(p, fmt):
        return llm_logs.load_conversation(str(p), key)
    text = _text(p)
    chosen = get(fmt) if fmt else detect(text, str(p))
    if chosen.name != sharegpt.FORMAT.name:
        raise FormatError(f"a choice of conversation applies to llm logs databases and "
                          f"ShareGPT files, not {chosen.name}", source=str(p))
    imported = sharegpt.load_nth(text, key, str(p))
    # The user picked this one: "N others skipped" is no longer news.
    imported.losses = [loss for loss in imported.losses if "other(s) skipped" not in loss.problem]
    return imported
