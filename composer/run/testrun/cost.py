"""What a cell costs: the price of a finished reply from its usage, and a rough estimate before
sending, in US dollars; None when no price is known for the model (a local server, a model
genai-prices does not list).

The runner takes any ``PriceFn`` (the window and the CLI pass the default below; the shared
pricing module, once it exists, is one more such function): ``(provider, model, input tokens,
output tokens) -> dollars or None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from composer.models.conversation import Conversation
from composer.models.exchange import Exchange

PriceFn = Callable[[str, str, int, int], float | None]

# Before sending, the reply's length is unknown: its max_tokens when set, else this many.
DEFAULT_OUTPUT_TOKENS = 500
CHARS_PER_TOKEN = 4  # the usual rough figure for English text and JSON

# Our presets as genai-prices names their providers (others: matched by the model alone).
_PROVIDER_IDS = {"openai": "openai", "openai-chat": "openai", "anthropic": "anthropic",
                 "gemini": "google", "groq": "groq", "mistral": "mistral",
                 "deepseek": "deepseek", "openrouter": "openrouter", "xai": "x-ai"}
_UNPRICED = ("ollama", "lmstudio", "llamacpp", "vllm", "replay", "custom")


@lru_cache(maxsize=256)
def _lookup(provider: str, model: str) -> tuple[str | None, bool]:
    """(genai-prices provider id to use, whether the model is priced at all)."""
    from genai_prices import Usage, calc_price  # imported on first use: it loads a big table

    for provider_id in (_PROVIDER_IDS.get(provider), None):
        try:
            calc_price(Usage(input_tokens=1, output_tokens=1), model_ref=model,
                       provider_id=provider_id)
            return provider_id, True
        except (LookupError, ValueError):
            continue
    return None, False


def genai_price(provider: str, model: str, input_tokens: int, output_tokens: int
                ) -> float | None:
    """The price genai-prices gives for the tokens; None when the model is not listed."""
    if not model or provider in _UNPRICED:
        return None
    provider_id, known = _lookup(provider, model)
    if not known:
        return None
    from genai_prices import Usage, calc_price

    price = calc_price(Usage(input_tokens=input_tokens, output_tokens=output_tokens),
                       model_ref=model, provider_id=provider_id)
    return float(price.total_price)


def exchange_cost(exchange: Exchange, price: PriceFn) -> tuple[float | None, str]:
    """(dollars or None, why None) for a finished exchange, from its usage."""
    settings = exchange.composer.settings
    model = exchange.model or settings.model or ""
    usage = exchange.usage
    if usage is None or (usage.input is None and usage.output is None):
        return None, "the reply reported no token usage"
    cost = price(settings.provider or "", model, usage.input or 0, usage.output or 0)
    if cost is None:
        return None, f"no price known for {settings.provider}:{model}"
    return cost, ""


def estimate_tokens(conversation: Conversation) -> tuple[int, int]:
    """(input, output) tokens one call of ``conversation`` may use, roughly."""
    text = json.dumps(conversation.to_dict(), ensure_ascii=False)
    max_tokens = conversation.settings.options.get("max_tokens")
    output = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else \
        DEFAULT_OUTPUT_TOKENS
    return max(1, len(text) // CHARS_PER_TOKEN), output
