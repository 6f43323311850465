"""What a request costs, from the ``genai-prices`` table (maintained by pydantic, bundled with
the package): the input before sending, the output's range up to its max tokens, the real cost
of a run from its usage (cache reads and writes at the provider's own cache prices) and the
running total of a conversation's runs.

Only the bundled table is read: genai-prices can fetch newer prices in the background
(``UpdatePrices``), and that is never started here, so pricing never touches the network.

A model the table does not know has no price: every function answers a ``NoPrice`` with the
reason ("no price known for …"), never a guess and never 0. Money is ``Decimal`` US dollars.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from composer.models.events import Usage
from composer.models.settings import RequestSettings

if TYPE_CHECKING:
    from composer.models.exchange import Exchange

# genai-prices' provider id for each of our presets (and bare protocol names) that bills.
PRESET_PROVIDERS = {
    "openai": "openai", "openai-responses": "openai", "openai-chat": "openai",
    "anthropic": "anthropic", "gemini": "google", "openrouter": "openrouter", "groq": "groq",
    "deepseek": "deepseek", "mistral": "mistral", "xai": "x-ai",
}
NO_BILL = {"replay": "a replay is not billed"}


class NoPrice(Struct, frozen=True):
    """Why there is no figure: shown as it is."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class Rates(Struct, frozen=True):
    """A model's entry in the price table."""

    provider_id: str
    model_id: str
    name: str | None
    context_window: int | None
    # genai-prices' own entries, which price a usage.
    _provider: Any
    _model: Any

    # Those entries are neither hashable nor short to print: a Rates hashes and prints as its ids.
    def __hash__(self) -> int:
        return hash((self.provider_id, self.model_id))

    def __repr__(self) -> str:
        return f"Rates({self.label!r})"

    @property
    def label(self) -> str:
        return f"{self.provider_id}/{self.model_id}"


class Cost(Struct, frozen=True):
    """A priced usage: ``total`` = ``input`` (cache reads and writes included) + ``output``."""

    total: Decimal
    input: Decimal
    output: Decimal
    priced_as: str  # provider/model in the table

    def to_dict(self) -> dict[str, Any]:
        """What an exchange keeps under ``composer.cost`` (plain JSON numbers)."""
        return {"usd": float(self.total), "input_usd": float(self.input),
                "output_usd": float(self.output), "priced_as": self.priced_as,
                "prices": f"genai-prices {table_version()}"}


class Estimate(Struct, frozen=True):
    """Before sending: the input's cost and the output's ceiling (None: no max tokens set, so
    the output is bounded only by the model's own limit)."""

    input: Decimal
    output_max: Decimal | None
    rates: Rates


@cache
def table_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")


def _snapshot() -> Any:
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


_warmed = False


def warm() -> None:
    """Load the table (a third of a second the first time): call it off the GUI thread."""
    global _warmed
    _snapshot().providers  # noqa: B018 (loading is the point)
    _warmed = True


def is_warm() -> bool:
    """Whether the table is loaded (pricing now costs no more than a lookup)."""
    return _warmed


def provider_id(settings: RequestSettings) -> str | NoPrice:
    """Whose prices apply: the base URL's provider when the table knows its host (a custom
    preset pointed at OpenRouter), else the preset's own; a local or custom server has none."""
    name = (settings.provider or "replay").strip().lower()
    if name in NO_BILL:
        return NoPrice(NO_BILL[name])
    if settings.base_url:
        try:
            return _snapshot().find_provider(None, None, settings.base_url.strip()).id
        except LookupError:
            pass
    found = PRESET_PROVIDERS.get(name)
    if found is None:
        return NoPrice(f"no price known for a {name} server")
    return found


def rates(settings: RequestSettings, model: str | None = None) -> Rates | NoPrice:
    """The table's entry for ``model`` (default: the settings' model) at the settings'
    provider."""
    model = (model or settings.model or "").strip()
    provider = provider_id(settings)
    if isinstance(provider, NoPrice):
        return provider
    if not model:
        return NoPrice("no price known: no model chosen")
    return rates_of(provider, model)


def rates_of(provider: str, model: str) -> Rates | NoPrice:
    try:
        found_provider, info = _snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return NoPrice(f"no price known for {model} at {provider}")
    return Rates(found_provider.id, info.id, info.name, info.context_window, found_provider,
                 info)


def _genai_usage(usage: Usage) -> Any:
    """Our usage (llm's shape) in genai-prices' terms: ``input`` already counts cache reads
    and writes for every protocol (Anthropic's parser adds them up), as genai-prices wants."""
    from genai_prices import Usage as PriceUsage

    details = usage.details or {}

    def num(key: str) -> int:
        value = details.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    written = num("cache_creation_input_tokens") or num("cache_write_tokens")
    written_1h = num("ephemeral_1h_input_tokens")
    read = num("cached_tokens")
    inp = (usage.input or 0) + num("toolUsePromptTokenCount")
    return PriceUsage(input_tokens=max(inp, read + written), output_tokens=usage.output or 0,
                      cache_read_tokens=read or None, cache_write_tokens=written or None,
                      cache_write_1h_tokens=min(written_1h, written) or None)


def usage_cost(usage: Usage, found: Rates, when: datetime | None = None) -> Cost:
    """The price of ``usage`` at ``found``'s rates as of ``when`` (default now)."""
    calc = found._model.calc_price(_genai_usage(usage), found._provider,
                                   genai_request_timestamp=when or datetime.now(tz=UTC))
    return Cost(calc.total_price, calc.input_price, calc.output_price, found.label)


def estimate(settings: RequestSettings, input_tokens: int,
             max_output: int | None) -> Estimate | NoPrice:
    """Before sending: ``input_tokens`` priced (nothing cached), and the output's cost when all
    ``max_output`` tokens come back."""
    found = rates(settings)
    if isinstance(found, NoPrice):
        return found
    cost = usage_cost(Usage(input=input_tokens, output=max_output or 0), found)
    return Estimate(cost.input, cost.output if max_output else None, found)


def _when(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def exchange_cost(exchange: Exchange) -> Cost | NoPrice:
    """What a run cost, from its reported usage, at the prices of the day it ran."""
    if exchange.usage is None or (exchange.usage.input is None and exchange.usage.output is None):
        return NoPrice("no usage reported, so no cost")
    found = rates(exchange.composer.settings, exchange.composer.settings.model or exchange.model)
    if isinstance(found, NoPrice) and exchange.model:
        found = rates(exchange.composer.settings, exchange.model)  # the id the reply named
    if isinstance(found, NoPrice):
        return found
    return usage_cost(exchange.usage, found, _when(exchange.datetime_utc))


def cache_savings(exchange: Exchange) -> Decimal | NoPrice:
    """What the prompt cache saved on this run: its cost with every input token at the plain
    input price, less its real cost (negative when cache writes cost more than reads saved)."""
    cost = exchange_cost(exchange)
    if isinstance(cost, NoPrice) or exchange.usage is None:
        return cost if isinstance(cost, NoPrice) else NoPrice("no usage reported")
    plain_details = {k: v for k, v in (exchange.usage.details or {}).items()
                     if k not in _CACHE_DETAILS}
    plain = exchange.usage.model_copy(update={"details": plain_details or None})
    found = rates(exchange.composer.settings, exchange.composer.settings.model or exchange.model)
    if isinstance(found, NoPrice):
        found = rates(exchange.composer.settings, exchange.model)
    if isinstance(found, NoPrice):
        return found
    return usage_cost(plain, found, _when(exchange.datetime_utc)).total - cost.total


_CACHE_DETAILS = frozenset({"cached_tokens", "cache_creation_input_tokens", "cache_write_tokens",
                            "ephemeral_1h_input_tokens"})


def record_cost(exchange: Exchange) -> Cost | NoPrice:
    """Price ``exchange`` and keep the figure under ``composer.cost`` (or the reason under
    ``composer.cost.none``), so the file says what the run cost."""
    cost = exchange_cost(exchange)
    value = cost.to_dict() if isinstance(cost, Cost) else {"none": cost.reason}
    exchange.composer.cost = value  # type: ignore[attr-defined]  # ExchangeExtras: extra="allow"
    return cost


class RunningTotal(Struct, frozen=True):
    usd: Decimal
    priced: int
    unpriced: int

    def describe(self) -> str:
        if not self.priced:
            return "no price known" if self.unpriced else ""
        text = f"{usd(self.usd)} in {self.priced} run{'s' if self.priced != 1 else ''}"
        return text + (f" (+{self.unpriced} without a price)" if self.unpriced else "")


def running_total(exchanges: Iterable[Exchange]) -> RunningTotal:
    """The sum of the runs' costs; runs without a price are counted apart, not as 0."""
    total, priced, unpriced = Decimal(0), 0, 0
    for exchange in exchanges:
        cost = exchange_cost(exchange)
        if isinstance(cost, Cost):
            total += cost.total
            priced += 1
        else:
            unpriced += 1
    return RunningTotal(total, priced, unpriced)


def usd(amount: Decimal) -> str:
    """``$0.0042``: four significant places for small sums, cents for large ones."""
    if amount == 0:
        return "$0"
    if amount >= 1:
        return f"${amount:,.2f}"
    digits = min(max(2, -amount.adjusted() + 2), 8)
    whole, _, cents = f"{amount:.{digits}f}".partition(".")
    cents = cents.rstrip("0").ljust(2, "0")
    return f"${whole}.{cents}"


def usage_summary(usage: Usage | None, cost: Cost | NoPrice) -> str:
    """One line for after a run: ``tokens 1,234 in (cache read 1,000, cache write 200) · 56 out
    · cost $0.0042`` (or the reason there is no price)."""
    if usage is None:
        return f"no usage reported · {cost}" if isinstance(cost, Cost) else str(cost)
    details = usage.details or {}
    read = details.get("cached_tokens")
    written = details.get("cache_creation_input_tokens") or details.get("cache_write_tokens")
    cache = [f"cache {what} {n:,}" for what, n in (("read", read), ("write", written))
             if isinstance(n, int) and n]
    tokens = "tokens " + (f"{usage.input:,} in" if usage.input is not None else "? in")
    if cache:
        tokens += f" ({', '.join(cache)})"
    tokens += f" · {usage.output:,} out" if usage.output is not None else " · ? out"
    price = f"cost {usd(cost.total)}" if isinstance(cost, Cost) else str(cost)
    return f"{tokens} · {price}"
