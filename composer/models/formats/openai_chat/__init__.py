"""OpenAI Chat Completions: detecting, reading and writing its request bodies (see write.py)."""

from composer.models.formats.openai_chat.wire import META
from composer.models.formats.openai_chat.write import FORMAT, detect, dump, from_body, to_body

__all__ = ["FORMAT", "META", "detect", "dump", "from_body", "to_body"]
