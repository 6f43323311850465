"""Gemini generateContent: ``detect``, ``read`` (``from_body``) and ``write`` (``to_body``);
``wire`` holds the names and key helpers the three (and the provider) share. See write.py for
what goes where."""

from composer.models.formats.base import Format
from composer.models.formats.gemini.detect import detect
from composer.models.formats.gemini.read import from_body
from composer.models.formats.gemini.wire import (
    CANDIDATE,
    CODE_EXECUTION,
    KEY,
    PLACEHOLDER_SIGNATURE,
)
from composer.models.formats.gemini.write import dump, to_body

FORMAT = Format(
    name="gemini",
    title="Google Gemini (contents or generateContent request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)

__all__ = ["CANDIDATE", "CODE_EXECUTION", "FORMAT", "KEY", "PLACEHOLDER_SIGNATURE", "detect",
           "dump", "from_body", "to_body"]
