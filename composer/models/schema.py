"""The published JSON Schema of our two files, generated from the records by pydantic (value.py).

``python -m composer.models.schema`` rewrites ``resources/schema/*.schema.json``; a test
checks the committed files still equal what the models generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from composer.models.conversation import Conversation
from composer.models.exchange import Exchange
from composer.models.files import atomic_write_text
from composer.paths import SCHEMAS

SCHEMA_DIR = SCHEMAS


def _schema(model: type, title: str) -> dict[str, Any]:
    # Validation mode: what a reader accepts. (Our compact serialisers are typed Any, so the
    # serialisation-mode schema would say nothing.)
    body = model.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body, "title": title}


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every file we publish."""
    return {
        "conversation.schema.json": _schema(Conversation, "Composer conversation file"),
        "exchange.schema.json": _schema(
            Exchange, "Composer exchange file (llm Response.to_dict() plus the composer key)"),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        atomic_write_text(directory / name, render(schema))
        written.append(directory / name)
    return written


if __name__ == "__main__":
    for path in write():
        print(path, file=sys.stderr)
