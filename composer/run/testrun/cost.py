"""What a cell costs: the price of a finished reply from its usage, and a rough estimate before
sending, in US dollars; None when no price is known for the model (a local server, a model
genai-prices does not list).

The runner takes any ``PriceFn``: ``(provider, model, input tokens, output tokens) -> dollars or
None``; the default is the shared pricing (composer.models.pricing), which also prices a
finished reply's cache reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable

from composer.models import pricing, token_estimate
from composer.models.conversation import Conversation
from composer.models.events import Usage
from composer.models.exchange import Exchange
from composer.models.settings import RequestSettings

PriceFn = Callable[[str, str, int, int], float | None]

# Before sending, the reply's length is unknown: its max_tokens when set, else this many.
DEFAULT_OUTPUT_TOKENS = 500

# The batch APIs (OpenAI Batch, Anthropic Message Batches, Gemini batch mode) charge half the
# list price. genai-prices lists the list price only, so the discount is applied here, once: to
# a reply that came through a batch (its ``composer.batch``) and to a batch run's estimate.
BATCH_RATE = 0.5
BATCH_PRICE_NOTE = "batch price: 50% of the list price"


def came_by_batch(exchange: Exchange) -> bool:
    return isinstance(getattr(exchange.composer, "batch", None), dict)


def genai_price(provider: str, model: str, input_tokens: int, output_tokens: int
                ) -> float | None:
    """The price genai-prices gives for the tokens (composer.models.pricing); None when the
    model is not listed or the provider is a local server."""
    found = pricing.rates(RequestSettings(provider=provider, model=model))
    if isinstance(found, pricing.NoPrice):
        return None
    return float(pricing.usage_cost(Usage(input=input_tokens, output=output_tokens),
                                    found).total)


def exchange_cost(exchange: Exchange, price: PriceFn) -> tuple[float | None, str]:
    """(dollars or None, why None) for a finished exchange, from its usage; a reply that came
    through a batch API at the batch rate."""
    cost, note = _list_cost(exchange, price)
    if cost is not None and came_by_batch(exchange):
        cost *= BATCH_RATE
    return cost, note


def _list_cost(exchange: Exchange, price: PriceFn) -> tuple[float | None, str]:
    settings = exchange.composer.settings
    model = exchange.model or settings.model or ""
    usage = exchange.usage
    if usage is None or (usage.input is None and usage.output is None):
        return None, "the reply reported no token usage"
    if price is genai_price:  # the shared pricing: cache reads and writes at their own rates
        priced = pricing.exchange_cost(exchange)
        if isinstance(priced, pricing.NoPrice):
            return None, priced.reason
        return float(priced.total), ""
    cost = price(settings.provider or "", model, usage.input or 0, usage.output or 0)
    if cost is None:
        return None, f"no price known for {settings.provider}:{model}"
    return cost, ""


def estimate_tokens(conversation: Conversation) -> tuple[int, int]:
    """(input, output) tokens one call of ``conversation`` may use, roughly."""
    max_tokens = conversation.settings.options.get("max_tokens")
    output = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else \
        DEFAULT_OUTPUT_TOKENS
    return max(1, token_estimate.estimate(conversation).total), output
