"""The suite file the test-run tests share: "Say hi in {{lang}}" over a CSV of languages."""

from __future__ import annotations

import json
from pathlib import Path

CONVERSATION = {"messages": [
    {"role": "system", "parts": [{"type": "text", "text": "You are a helpful assistant"}]},
    {"role": "user", "parts": [{"type": "text", "text": "Say hi in {{lang}}"}]}]}


def write_suite(folder: Path, targets: list, checks: list[dict],
                cases: list[tuple[str, str]], **fields) -> Path:
    """``folder/hi.suite.json`` with its cases in ``folder/langs.csv``: one row per
    ``(lang, expected)``, its id the language's first two letters."""
    (folder / "langs.csv").write_text("id,lang,expected\n" + "".join(
        f"{lang[:2].lower()},{lang},{expected}\n" for lang, expected in cases), encoding="utf-8")
    suite = {"name": "hi", "conversation": CONVERSATION, "cases": "langs.csv",
             "targets": targets, "checks": checks, **fields}
    path = folder / "hi.suite.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path
