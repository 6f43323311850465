"""OpenAI Chat Completions: ``detect``, ``read`` (``from_body``) and ``write`` (``to_body``);
``wire`` holds the names the three share. See write.py for what goes where."""

from composer.models.formats.base import Format
from composer.models.formats.openai_chat.detect import detect
from composer.models.formats.openai_chat.read import from_body
from composer.models.formats.openai_chat.wire import META, NAME
from composer.models.formats.openai_chat.write import dump, to_body

FORMAT = Format(
    name=NAME,
    title="OpenAI Chat Completions (messages or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)

__all__ = ["FORMAT", "META", "detect", "dump", "from_body", "to_body"]
