"""Gemini generateContent: detecting, reading and writing its request bodies (see write.py)."""

from composer.models.formats.gemini.wire import (
           CANDIDATE,
           CODE_EXECUTION,
           KEY,
           PLACEHOLDER_SIGNATURE,
)
from composer.models.formats.gemini.write import FORMAT, detect, dump, from_body, to_body

__all__ = ["CANDIDATE", "CODE_EXECUTION", "FORMAT", "KEY", "PLACEHOLDER_SIGNATURE", "detect",
           "dump", "from_body", "to_body"]
