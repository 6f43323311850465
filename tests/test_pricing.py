"""Costs from genai-prices' bundled table: a recorded Anthropic reply with cache reads and writes
priced and checked against the sum worked out by hand from the published prices; an unknown
model has no number; the table is read without any network."""

from __future__ import annotations

import json
import os
import socket
from decimal import Decimal

import pytest

from composer.models import pricing
from composer.models.events import Usage
from composer.models.exchange import Exchange, ExchangeExtras
from composer.models.settings import RequestSettings
from composer.run.record import RunRecord
from tests.cassettes import load
from tests.cli_run import run_cli
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.loopback import Reply

CACHED = "TestAnthropicCommonWithCacheControl/claude-sonnet-4/simple_streaming.yaml"
WRITTEN, READ = 1500, 2000


def recorded_with_cache() -> tuple[str, str]:
    """The recorded request, and its recorded reply with cache write and read tokens put in
    the usage (the recording's cache was cold: its counts are 0)."""
    recordings_or_skip()
    interaction = load(RECORDINGS / CACHED).interactions[0]
    body = interaction.response_body
    assert body.count('"cache_creation_input_tokens":0') == 2
    body = body.replace('"cache_creation_input_tokens":0',
                        f'"cache_creation_input_tokens":{WRITTEN}')
    body = body.replace('"cache_read_input_tokens":0', f'"cache_read_input_tokens":{READ}')
    return interaction.request_body, body


def test_a_recorded_anthropic_reply_with_cache_reads_and_writes_costs_the_published_prices(
        loopback, tmp_path):
    request, reply = recorded_with_cache()
    conversation = tmp_path / "request.json"
    conversation.write_text(request, encoding="utf-8")
    out = tmp_path / "exchange.json"
    loopback.queue(Reply.sse(reply))
    result = run_cli("send", str(conversation), "-p", "anthropic", "--base-url", loopback.url,
                     "--out", str(out), env={**os.environ, "ANTHROPIC_API_KEY": "sk-test"})
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text(encoding="utf-8"))
    exchange = Exchange.model_validate(saved)
    # claude-sonnet-4-20250514 in genai-prices (anthropic/claude-sonnet-4-0), per million
    # tokens: input $3, cache write (5 minutes) $3.75, cache read $0.30, output $15. The reply
    # reports 16 uncached input tokens and 43 output tokens.
    by_hand = (Decimal(16) * 3 + Decimal(WRITTEN) * Decimal("3.75") + Decimal(READ)
               * Decimal("0.30") + Decimal(43) * 15) / 1_000_000
    assert by_hand == Decimal("0.006918")
    cost = pricing.exchange_cost(exchange)
    assert cost.total == by_hand and cost.priced_as == "anthropic/claude-sonnet-4-0"
    assert cost.output == Decimal(43) * 15 / 1_000_000
    assert saved["composer"]["cost"]["usd"] == pytest.approx(0.006918)
    assert saved["composer"]["cost"]["prices"].startswith("genai-prices ")
    last = result.stderr.strip().splitlines()[-1]
    assert last == ("llm-composer: tokens 3,516 in (cache read 2,000, cache write 1,500) · "
                    "43 out · cost $0.00692")


def _exchange(provider: str, model: str, usage: Usage | None) -> Exchange:
    return Exchange(model=model, usage=usage, datetime_utc="2026-01-05T10:00:00",
                    composer=ExchangeExtras(settings=RequestSettings(provider=provider,
                                                                     model=model)))


def test_an_unknown_model_has_no_price_never_a_guess():
    exchange = _exchange("openai", "gpt-nobody-knows", Usage(input=1000, output=10))
    cost = pricing.record_cost(exchange)
    assert isinstance(cost, pricing.NoPrice)
    assert str(cost) == "no price known for gpt-nobody-knows at openai"
    assert exchange.to_dict()["composer"]["cost"] == {"none": str(cost)}
    assert pricing.estimate(exchange.composer.settings, 1000, 100) == cost
    assert isinstance(pricing.rates(RequestSettings(provider="ollama", model="llama3")),
                      pricing.NoPrice)
    assert str(pricing.rates(RequestSettings(provider="replay"))) == "a replay is not billed"


def test_a_models_rates_are_its_ids_to_compare_hash_and_print():
    """Rates carry genai-prices' own entries (unhashable, pages long), but a Rates is its ids."""
    rates = pricing.rates_of("openai", "gpt-4o")
    again = pricing.rates_of("openai", "gpt-4o")
    assert rates == again and {rates: 1}[again] == 1
    assert rates != pricing.rates_of("openai", "gpt-4o-mini")
    assert repr(rates) == "Rates('openai/gpt-4o')"


def test_the_estimate_prices_input_and_bounds_the_output_by_max_tokens():
    settings = RequestSettings(provider="openai", model="gpt-4o")
    # gpt-4o in genai-prices: $2.50 input and $10 output per million tokens.
    found = pricing.estimate(settings, 2000, 1000)
    assert found.input == Decimal(2000) * Decimal("2.5") / 1_000_000
    assert found.output_max == Decimal(1000) * 10 / 1_000_000
    assert pricing.estimate(settings, 2000, None).output_max is None  # the model's limit


def test_the_running_total_adds_priced_runs_and_counts_the_others_apart():
    record = RunRecord()
    record.add(_exchange("openai", "gpt-4o", Usage(input=1000, output=100)))
    record.add(_exchange("openai", "gpt-4o", Usage.report(input=1000, output=100, cached=800)))
    record.add(_exchange("ollama", "llama3", Usage(input=5, output=5)))
    total = pricing.running_total(r.exchange for r in record.runs)
    # 1,000 in + 100 out at $2.50/$10; then 200 fresh + 800 cached ($1.25) + 100 out.
    first = (Decimal(1000) * Decimal("2.5") + 100 * 10) / 1_000_000
    second = (Decimal(200) * Decimal("2.5") + 800 * Decimal("1.25") + 100 * 10) / 1_000_000
    assert total.usd == first + second and (total.priced, total.unpriced) == (2, 1)
    assert total.describe() == f"{pricing.usd(first + second)} in 2 runs (+1 without a price)"


def test_prices_come_from_the_bundled_table_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("pricing tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    cost = pricing.exchange_cost(_exchange("anthropic", "claude-sonnet-4-5",
                                           Usage(input=100, output=10)))
    assert isinstance(cost, pricing.Cost)
    from genai_prices import data_snapshot

    assert data_snapshot.get_snapshot().from_auto_update is False


def test_usd_reads_well_small_and_large():
    assert [pricing.usd(Decimal(x)) for x in ("0", "0.006918", "0.25", "12.5", "0.00033")] == [
        "$0", "$0.00692", "$0.25", "$12.50", "$0.00033"]


def test_cache_savings_are_the_plain_price_less_the_real_one():
    read = _exchange("openai", "gpt-4o", Usage.report(input=1000, output=100, cached=800))
    # 800 tokens read from the cache at $1.25 instead of $2.50 per million.
    assert pricing.cache_savings(read) == Decimal(800) * Decimal("1.25") / 1_000_000
    written = _exchange("anthropic", "claude-sonnet-4-5", Usage(
        input=1000, output=0, details={"cache_creation_input_tokens": 1000}))
    # A cold write costs $3.75 instead of $3 per million: a loss this run.
    assert pricing.cache_savings(written) == Decimal(1000) * Decimal("-0.75") / 1_000_000
    assert isinstance(pricing.cache_savings(_exchange("ollama", "x", Usage(input=1))),
                      pricing.NoPrice)
