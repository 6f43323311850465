"""The cache checks Send applies, for the provider the conversation is sent to.

Anthropic takes breakpoints: the checks of composer.models.caching apply. Every other protocol
caches on its own (OpenAI by prefix, with ``prompt_cache_key``; Gemini implicitly), so the
breakpoints set are ignored, and the user is told so once. ``last_hashes``: the
``prefix_hashes`` of the conversation the last run sent (``last_prefix_hashes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.models.caching import (
    CacheProblem,
    breakpoint_problems,
    ignored_note,
    prefix_hashes,
)
from composer.models.conversation import Conversation
from composer.providers.presets import UnknownProvider, resolve

if TYPE_CHECKING:
    from composer.models.exchange import Exchange

_TITLES = {"openai-chat": "OpenAI Chat Completions", "openai-responses": "OpenAI Responses",
           "gemini": "Gemini"}


def cache_problems(conversation: Conversation,
                   last_hashes: dict[str, str] | None = None) -> list[CacheProblem]:
    """Every cache problem of ``conversation`` as its provider would meet it: blocking ones
    (the API would refuse the request) and notes, each at its row and part."""
    try:
        protocol = resolve(conversation.settings.provider).protocol
    except UnknownProvider:
        return []  # Send refuses the provider itself, with its own message
    if protocol == "anthropic":
        return breakpoint_problems(conversation, last_hashes)
    if protocol in _TITLES:
        note = ignored_note(_TITLES[protocol], conversation)
        return [note] if note is not None else []
    return []


def last_prefix_hashes(sent: Conversation | Exchange | None) -> dict[str, str] | None:
    """The prefix digests of what the last run sent: its conversation (RunRecord.last_sent),
    or a saved exchange's prompt and settings (a reopened run). Nothing is stored for this: an
    exchange keeps the whole prompt, so its digests are worked out again from it."""
    if sent is not None and not isinstance(sent, Conversation):  # an Exchange
        sent = Conversation(messages=sent.prompt.messages, settings=sent.composer.settings)
    return prefix_hashes(sent) if sent is not None else None
