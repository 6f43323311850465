"""Numbers about a run for the footer and the status bar: tokens, timing, speed. No Qt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.models.caching import cache_usage
from composer.run.metrics import hidden_reasoning as hidden
from composer.run.metrics import tokens_per_second

if TYPE_CHECKING:
    from composer.models.exchange import Exchange, Timing, Usage


def usage_text(usage: Usage | None) -> str:
    if usage is None:
        return ""
    pieces = []
    if usage.input is not None:
        pieces.append(f"in {usage.input:,}")
    if usage.output is not None:
        pieces.append(f"out {usage.output:,}")
    reasoning = (usage.details or {}).get("reasoning_tokens")
    if isinstance(reasoning, int):
        pieces.append(f"reasoning {reasoning:,}")
    cache = cache_usage(usage).text()
    if cache:
        pieces.append(cache)
    return " · ".join(pieces)


def saved_text(exchange: Exchange) -> str:
    """``saved $0.0270 by the cache``: the run's cost at plain input prices less its real cost
    (reads are cheap, writes dear); empty when the cache was not used or no price is known."""
    if not cache_usage(exchange.usage):
        return ""
    from composer.models import pricing  # genai-prices loads on the first run that cached

    saved = pricing.cache_savings(exchange)
    if isinstance(saved, pricing.NoPrice) or not saved:
        return ""
    return (f"saved ${saved:.4f} by the cache" if saved > 0
            else f"the cache writes cost ${-saved:.4f} more this run")


def timing_text(usage: Usage | None, timing: Timing, *, hidden_reasoning: bool = False) -> str:
    pieces = []
    if timing.first_token_ms is not None:
        pieces.append(f"first token {timing.first_token_ms / 1000:.2f} s")
    rate = tokens_per_second(usage, timing, hidden_reasoning=hidden_reasoning)
    if rate is not None:
        pieces.append(f"{rate:.1f} tok/s")
    if timing.total_ms is not None:
        pieces.append(f"total {timing.total_ms / 1000:.2f} s")
    return " · ".join(pieces)


def footer_text(exchange: Exchange) -> str:
    """``stop reason: tool_calls · in 424 · out 120 · first token 0.41 s · 52.3 tok/s · total
    2.71 s`` (the stop reason as the provider said it)."""
    extras = exchange.composer
    pieces = [f"stop reason: {extras.stop_reason or 'unknown'}"]
    timing = timing_text(exchange.usage, extras.timing, hidden_reasoning=hidden(exchange))
    for text in (usage_text(exchange.usage), saved_text(exchange), timing):
        if text:
            pieces.append(text)
    return " · ".join(pieces)
