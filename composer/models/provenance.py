"""Which request settings came from a file rather than from the user in this window.

Known at load time and never saved in a conversation: a document replaced from a file (Open,
Import, a recovered draft, the file reopened at start) brings its provider, base URL and headers
"from the file"; any later change in this window makes that setting the user's. A draft's state
(in the user's own folder, written by the window) names the settings that were the user's, and a
recovery keeps them so (``adopt``); so does the last file a start reopens, when its bytes are the
ones the window saved (views/session.py). A value the window already had
stays the user's when a new document brings the same one (New keeps the settings), except a
base URL whose provider changed: the user chose it for the other provider's key.
"""

from __future__ import annotations

from composer.models.document import Document, Reset, SettingsChanged
from composer.models.settings import RequestSettings

FIELDS = ("provider", "base_url", "headers")
LABELS = {"provider": "provider", "base_url": "base URL", "headers": "extra headers"}


def named_fields(names: object) -> list[str]:
    """The names of FIELDS in ``names`` (a list read from a file); anything else is dropped."""
    if not isinstance(names, list):
        return []
    return [f for f in FIELDS if f in {n for n in names if isinstance(n, str)}]


def _set(settings: RequestSettings, name: str) -> bool:
    value = getattr(settings, name)
    return value != "replay" if name == "provider" else bool(value)


class SettingsProvenance:
    """Follows ``document``: ``from_file`` names the settings (of FIELDS) the file brought and
    the user has not changed since. The document's current settings count as loaded."""

    def __init__(self, document: Document):
        self._document = document
        self._seen = document.conversation.settings.model_copy(deep=True)
        self.from_file: set[str] = {f for f in FIELDS if _set(self._seen, f)}
        document.subscribe(self._on_notice)

    def detach(self) -> None:
        self._document.unsubscribe(self._on_notice)

    @property
    def base_url_chosen(self) -> bool:
        """Whether the base URL is the user's own choice (or there is none)."""
        return "base_url" not in self.from_file

    def chosen(self) -> list[str]:
        """The settings (of FIELDS) that are set and are the user's."""
        settings = self._document.conversation.settings
        return [f for f in FIELDS if _set(settings, f) and f not in self.from_file]

    def adopt(self, names: object) -> None:
        """Count ``names`` (of FIELDS; anything else is ignored) as the user's: the settings a
        draft's state says the user had set."""
        self.from_file -= set(named_fields(names))

    def labels(self) -> list[str]:
        return [LABELS[f] for f in FIELDS if f in self.from_file]

    def _on_notice(self, notice: object) -> None:
        settings = self._document.conversation.settings
        if isinstance(notice, Reset):
            self._loaded(settings)
        elif isinstance(notice, SettingsChanged):
            self.from_file -= {f for f in FIELDS if getattr(settings, f) != getattr(self._seen, f)}
        else:
            return
        self._seen = settings.model_copy(deep=True)

    def _loaded(self, new: RequestSettings) -> None:
        old = self._seen
        from_file = set()
        for name in FIELDS:
            if not _set(new, name):
                continue
            kept = name not in self.from_file and getattr(old, name) == getattr(new, name)
            if name == "base_url" and old.provider != new.provider:
                kept = False
            if not kept:
                from_file.add(name)
        self.from_file = from_file
