"""Exchanges compared: their replies, and a summary of what differs about the two outcomes.

``reply_of`` says which reply a file holds: an exchange's output messages, or, for a
conversation, its last assistant message (the reply that conversation ended with).
"""

from __future__ import annotations

from composer.models.conversation import Conversation
from composer.models.diff.replies import Difference, ReplyDiff, diff_replies
from composer.models.exchange import Exchange
from composer.models.parts import Message


class NoReply(ValueError):
    """A conversation with no assistant message: nothing to compare."""


def reply_of(document: Conversation | Exchange) -> list[Message]:
    if isinstance(document, Exchange):
        return list(document.messages)
    for message in reversed(document.messages):
        if message.role == "assistant":
            return [message]
    raise NoReply("the conversation has no assistant message to compare")


def diff_exchanges(a: Exchange, b: Exchange) -> ReplyDiff:
    result = diff_replies(a.messages, b.messages)
    result.summary = summary(a, b)
    return result


def summary(a: Exchange, b: Exchange) -> list[Difference]:
    out: list[Difference] = []
    for what, x, y in _facts(a, b):
        if x != y:
            out.append(Difference(what, _shown(x), _shown(y)))
    return out


def _facts(a: Exchange, b: Exchange) -> list[tuple[str, object, object]]:
    ua, ub = a.usage, b.usage

    def detail(usage, key: str) -> object:
        return (usage.details or {}).get(key) if usage is not None else None

    return [
        ("model", a.model or a.composer.settings.model, b.model or b.composer.settings.model),
        ("protocol", a.composer.protocol, b.composer.protocol),
        ("stop reason", a.composer.stop_reason, b.composer.stop_reason),
        ("input tokens", ua.input if ua else None, ub.input if ub else None),
        ("output tokens", ua.output if ua else None, ub.output if ub else None),
        ("reasoning tokens", detail(ua, "reasoning_tokens"), detail(ub, "reasoning_tokens")),
        ("error", a.composer.error.message if a.composer.error else None,
         b.composer.error.message if b.composer.error else None),
    ]


def _shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 200 else text[:199] + "…"
