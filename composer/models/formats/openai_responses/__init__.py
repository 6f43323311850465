"""OpenAI Responses: detecting, reading and writing its request bodies (see write.py)."""

from composer.models.formats.openai_responses.write import FORMAT, detect, dump, from_body, to_body

__all__ = ["FORMAT", "detect", "dump", "from_body", "to_body"]
