"""Anthropic Messages: detecting, reading and writing its request bodies (see write.py)."""

from composer.models.formats.anthropic.write import (
    FORMAT,
    KEY,
    detect,
    dump,
    from_body,
    server_output,
    to_body,
)

__all__ = ["FORMAT", "KEY", "detect", "dump", "from_body", "server_output", "to_body"]
