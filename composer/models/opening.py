"""Open what import imports: our files as they are, any other format ``convert`` reads imported.

For the verbs that open a file without asking questions (``screenshot``); the window's own
open path also asks which conversation when a file holds several (views/picker.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from composer.models import files
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.exchange import Exchange
from composer.models.formats import import_path


def open_document(path: str | os.PathLike[str]) -> tuple[Conversation | Exchange, bool]:
    """(the document, True when it came from a foreign format). Raises one FormatError."""
    p = Path(path)
    try:
        data = files.read_json(p)
    except FormatError:
        if not p.is_file():
            raise
        return import_path(p).conversation, True
    if files.kind_of(data) is not None:
        return files.from_data(data, str(p)), False
    return import_path(p).conversation, True
