"""Anthropic Messages: the names detect, read and write share."""

KEY = "anthropic"
DEFAULT_MAX_TOKENS = 4096
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
