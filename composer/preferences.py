"""The user's preferences for the app itself (not for a conversation): how attachments are kept,
whether replies are kept in the table as they finish, the targets last compared.

Stored as ``preferences.json`` in the user directory. A missing or unreadable file means the
defaults, never an error at start-up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from composer.models import unchecked
from composer.models.files import atomic_write_text

FILE_NAME = "preferences.json"


class Preferences(BaseModel):
    # Built with the first file read, not at import: a first start reads none (see load).
    model_config = ConfigDict(extra="ignore", defer_build=True)

    # Embed a file's bytes (base64) so a saved conversation is self-contained; off: keep the path.
    embed_attachments: bool = True
    # Files bigger than this ask before they are attached.
    attachment_size_limit_mb: float = Field(default=20.0, gt=0)
    # Write every run into the user's llm logs.db too, so it shows in `llm logs` (llm_log.py).
    log_to_llm: bool = False
    # Run ▸ Keep Replies: a finished (or stopped) reply goes into the table by itself.
    keep_replies: bool = True
    # The targets last compared (Run ▸ Compare…), as Target.to_dict() writes them; each is read
    # back with Target.from_dict, and one that no longer reads is left out.
    compare_targets: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def attachment_size_limit(self) -> int:
        return int(self.attachment_size_limit_mb * 1024 * 1024)

    @classmethod
    def load(cls, user_dir: str | os.PathLike[str]) -> Preferences:
        try:
            text = (Path(user_dir) / FILE_NAME).read_text("utf-8")
        except FileNotFoundError:
            # The defaults, as cls() makes them, without building the validator before the
            # first paint (it would be the first pydantic validator in the process).
            try:
                return unchecked.build(cls, {})
            except TypeError:  # a default it cannot make so
                return cls()
        except OSError:
            return cls()
        try:
            return cls.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            return cls()

    def save(self, user_dir: str | os.PathLike[str]) -> None:
        atomic_write_text(Path(user_dir) / FILE_NAME, self.model_dump_json(indent=2) + "\n")
