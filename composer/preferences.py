"""The user's preferences for the app itself (not for a conversation): how attachments are kept,
whether replies are kept in the table as they finish, the targets last compared.

Stored as ``preferences.json`` in the user directory. A missing or unreadable file means the
defaults, never an error at start-up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from msgspec import field

from composer.models.files import atomic_write_text
from composer.models.value import Check, Value

FILE_NAME = "preferences.json"


class Preferences(Value):
    # Embed a file's bytes (base64) so a saved conversation is self-contained; off: keep the path.
    embed_attachments: bool = True
    # Files bigger than this ask before they are attached.
    attachment_size_limit_mb: Annotated[float, Check(gt=0)] = 20.0
    # Write every run into the user's llm logs.db too, so it shows in `llm logs` (llm_log.py).
    log_to_llm: bool = False
    # Run ▸ Keep Replies: a finished (or stopped) reply goes into the table by itself.
    keep_replies: bool = True
    # The targets last compared (Run ▸ Compare…), as Target.to_dict() writes them; each is read
    # back with Target.from_dict, and one that no longer reads is left out.
    compare_targets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def attachment_size_limit(self) -> int:
        return int(self.attachment_size_limit_mb * 1024 * 1024)

    @classmethod
    def load(cls, user_dir: str | os.PathLike[str]) -> Preferences:
        try:
            text = (Path(user_dir) / FILE_NAME).read_text("utf-8")
        except OSError:
            return cls()
        try:
            return cls.model_validate(json.loads(text))
        except ValueError:  # not JSON, or pydantic's ValidationError (a ValueError)
            return cls()

    @classmethod
    def _after(cls, made: Preferences, data: Any) -> Preferences:
        made._extra = None  # a key this version does not know is dropped, not kept
        return made

    def save(self, user_dir: str | os.PathLike[str]) -> None:
        atomic_write_text(Path(user_dir) / FILE_NAME, json.dumps(self.to_dict(), indent=2) + "\n")
