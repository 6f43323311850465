"""Rows on the clipboard: our JSON out; our JSON, any importable text, files or images in.

Copy puts the rows under our own MIME type and, as text, a conversation file holding just
those messages (so pasting into an editor gives something Composer and ``llm`` can read).
Paste decides what the clipboard holds with ``read_clipboard``; every outcome is a value, and a
problem is one line naming the clipboard.
"""

from __future__ import annotations

import json

from msgspec import Struct, field
from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QImage

from composer.models import jsontext
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.parts import Message
from composer.views.file_urls import local_paths

MESSAGES_MIME = "application/x-composer-messages"
SOURCE = "<clipboard>"


def messages_mime(messages: list[Message]) -> QMimeData:
    mime = QMimeData()
    payload = json.dumps([m.to_dict() for m in messages], ensure_ascii=False)
    mime.setData(MESSAGES_MIME, QByteArray(payload.encode("utf-8")))
    text = json.dumps(Conversation(messages=messages).to_dict(), ensure_ascii=False, indent=2)
    mime.setText(text)
    return mime


class Pasted(Struct):
    """What a paste would add: messages, or files to attach, or an image, or a problem."""

    messages: list[Message] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    image: QImage | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)  # losses the import reported
    # Text too long to detect on the GUI thread: ``pasted_text`` it on a worker thread.
    deferred_text: str | None = None


# Text up to this long is detected inline (well under a millisecond); longer text off the GUI
# thread, as detection of many megabytes takes a noticeable fraction of a second.
INLINE_TEXT_LIMIT = 64 * 1024


def read_clipboard(mime: QMimeData | None, defer_over: int | None = None) -> Pasted:
    if mime is None:
        return Pasted(problem="the clipboard is empty")
    if mime.hasFormat(MESSAGES_MIME):
        try:
            data, _ = jsontext.loads(bytes(mime.data(MESSAGES_MIME).data()))  # another app's
            return Pasted(messages=[Message.model_validate(m) for m in data])
        except (ValueError, TypeError) as exc:
            return Pasted(problem=f"{SOURCE}: copied rows are damaged ({type(exc).__name__})")
    paths = local_paths(mime)
    if paths:
        return Pasted(paths=paths)
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return Pasted(image=image)
    if mime.hasText():
        text = mime.text()
        if defer_over is not None and len(text) > defer_over:
            return Pasted(deferred_text=text)
        return pasted_text(text)
    return Pasted(problem=f"{SOURCE}: nothing Composer can paste (no rows, files, image or text)")


def pasted_text(text: str) -> Pasted:
    """Importable text becomes its messages; other plain text a user message; broken JSON a
    problem (rather than a user message full of braces)."""
    if not text.strip():
        return Pasted(problem=f"{SOURCE}: the text is empty")
    from composer.models.formats import import_text  # the formats load with the first paste

    try:
        imported = import_text(text, source=SOURCE)
    except FormatError as exc:
        if text.lstrip()[:1] in ("{", "["):
            return Pasted(problem=exc.one_line())
        return Pasted(messages=[Message.text("user", text)])
    if not imported.conversation.messages:
        return Pasted(problem=f"{SOURCE}: the pasted conversation has no messages")
    return Pasted(messages=list(imported.conversation.messages),
                  notes=[str(loss) for loss in imported.losses])
