"""OpenAI Responses: ``detect``, ``read`` (``from_body``) and ``write`` (``to_body``); ``wire``
holds the item names and helpers the three (and the provider) share. See write.py for what goes
where."""

from composer.models.formats.base import Format
from composer.models.formats.openai_responses.detect import detect
from composer.models.formats.openai_responses.read import from_body
from composer.models.formats.openai_responses.write import dump, to_body

FORMAT = Format(
    name="openai-responses",
    title="OpenAI Responses (input items or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)

__all__ = ["FORMAT", "detect", "dump", "from_body", "to_body"]
