"""Reading a file to open or import, as work a thread can do: no widgets, no window state.

``read_for_open`` and ``read_for_import`` read, detect and parse (the slow part of a 20 MB
file) and return an outcome value; the window applies it on the GUI thread. The window's
programmatic ``open_path``/``import_path`` call them inline; the Open and Import dialogs run
them with ``attachments.run_off_thread``, so the window keeps painting meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field

from composer.models import files as model_files
from composer.models import jsontext
from composer.models.conversation import Conversation
from composer.models.errors import FormatError

if TYPE_CHECKING:
    from composer.models.exchange import Exchange
    from composer.models.formats._choices import Choice
    from composer.models.formats.base import Imported
    from composer.views.files import DraftState


class Outcome(Struct):
    """What reading gave: ``how`` is "open" (``result`` our own file), "import" (``result``
    an Imported) or "choose" (the file holds several conversations: ``choices``, read none
    yet); ``result`` is a FormatError when it could not be read."""

    how: str
    result: Conversation | Exchange | Imported | FormatError | None
    note: str = ""  # invalid characters replaced in our own file (an import has its losses)
    choices: list[Choice] = field(default_factory=list)
    fmt: str | None = None  # the format asked for, for the chosen conversation's import
    # Our own file as the window last saved it: its digest and the settings the user chose.
    vouched: tuple[str, list[str]] | None = None


def read_for_import(path: Path, fmt: str | None = None, key: str | None = None) -> Outcome:
    """Import ``path``; ``key`` picks one of several conversations (Choice.key). Without it, a
    file that holds several asks which one ("choose") before reading any."""
    # The readers of every other format: with the first import, not a start on our own file.
    from composer.models.formats._choices import list_choices, load_choice

    try:
        choices = list_choices(path, fmt) if key is None else []
        if len(choices) > 1:
            return Outcome("choose", None, choices=choices, fmt=fmt)
        return Outcome("import", load_choice(path, key, fmt))
    except FormatError as exc:
        return Outcome("import", exc)
    except Exception as exc:  # a bug; on a worker thread it must still reach the window
        return Outcome("import", FormatError(f"internal error ({type(exc).__name__}: {exc})",
                                             source=str(path)))


def read_for_open(path: Path, last_saved: DraftState | None = None) -> Outcome:
    """Our own file opened as such; a file in another format imported instead. The file the
    window last saved (``last_saved``, the draft state), unchanged since, is vouched for and
    read as a reopened one is, without building the validator."""
    if last_saved is not None and last_saved.path == str(path):
        try:
            data = model_files.read_bytes(path)
            if (vouched := last_saved.vouched(data)) is not None:
                conversation = model_files.conversation_from_bytes(data, str(path), ours=True)
                return Outcome("open", conversation, vouched=vouched)
        except FormatError:
            pass  # read below as any file is, to say what is wrong with it
    try:
        data, repaired = model_files.read_json_counted(path)
    except FormatError as exc:
        if not path.is_file():
            return Outcome("open", exc)
        return read_for_import(path)  # not JSON (JSONL, Markdown, a logs.db): imported
    if model_files.kind_of(data) is None:
        return read_for_import(path)
    note = jsontext.replaced_note(repaired) if repaired else ""
    try:
        return Outcome("open", model_files.from_data(data, str(path)), note)
    except FormatError as exc:
        return Outcome("open", exc)
