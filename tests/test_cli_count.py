"""``llm-composer count FILE``: tokens per row and in total, the input cost and the output range."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

from composer.models import pricing
from tests.cli_run import run_cli
from tests.conftest import ROOT
from tests.loopback import Reply


def _file(tmp_path, provider="anthropic", model="claude-sonnet-4-5", options=None) -> str:
    data = {
        "messages": [
            {"role": "system", "parts": [{"type": "text", "text": "Answer in one word."}]},
            {"role": "user", "parts": [{"type": "text", "text": "Capital of Portugal?"}]},
            {"role": "assistant", "parts": [{"type": "text", "text": "Lisbon."}]},
            {"role": "user", "parts": [{"type": "text", "text": "And of Spain? " * 50}]},
        ],
        "settings": {"provider": provider, "model": model, "options": options or {}},
        "composer": {"kind": "conversation", "format_version": 1},
    }
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _count(*args: str):
    return run_cli("count", *args, env={**os.environ, "ANTHROPIC_API_KEY": "sk-test",
                                         "OPENAI_API_KEY": "sk-test"})


def test_count_prints_rows_the_exact_total_and_the_cost(loopback, tmp_path):
    loopback.queue(Reply.json({"input_tokens": 2000}))
    result = _count(_file(tmp_path, options={"max_tokens": 1000}), "--base-url", loopback.url)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert loopback.received[0].path == "/v1/messages/count_tokens"
    rows = lines[:4]
    assert [r.split()[0] for r in rows] == ["1", "2", "3", "4"]
    assert "user" in rows[3] and "And of Spain?" in rows[3]
    shares = [int(r.split()[2].replace(",", "")) for r in rows]
    assert shares[3] == max(shares)  # the long turn is the expensive one
    other = int(lines[4].split()[1].replace(",", ""))
    assert sum(shares) + other == 2000
    assert lines[5].split() == ["total", "2,000", "input", "tokens", "(Anthropic",
                                "count_tokens)"]
    # claude-sonnet-4-5 in genai-prices: $3 input and $15 output per million tokens.
    assert lines[6] == (f"input cost: {pricing.usd(Decimal(2000) * 3 / 1_000_000)} "
                        "(anthropic/claude-sonnet-4-5)")
    assert lines[7] == "output cost: $0 to $0.015 (up to 1,000 tokens)"


def test_a_failing_counter_is_one_line_and_the_estimate_is_printed(loopback, tmp_path):
    loopback.queue(Reply.json({"error": {"message": "no such route"}}, status=404))
    result = _count(_file(tmp_path, provider="openai", model="gpt-4o"),
                    "--base-url", loopback.url + "/v1")
    assert result.returncode == 0
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("llm-composer: count failed: OpenAI "
                                    "responses/input_tokens: 404")
    total = next(line for line in result.stdout.splitlines() if line.startswith("total"))
    assert total.split()[1] == "≈" and total.endswith("input tokens (estimate)")
    assert "output cost: up to the model's limit" in result.stdout


def test_a_local_server_is_estimated_and_has_no_price(tmp_path):
    result = _count(_file(tmp_path, provider="ollama", model="llama3"))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[-1] == "cost: no price known for a ollama server"


def test_an_unknown_model_prints_no_number(loopback, tmp_path):
    loopback.queue(Reply.json({"input_tokens": 12}))
    result = _count(_file(tmp_path, model="claude-from-the-future"), "--base-url", loopback.url)
    assert result.stdout.splitlines()[-1] == (
        "cost: no price known for claude-from-the-future at anthropic")
    assert "$" not in result.stdout


def test_a_bad_file_is_one_line(tmp_path):
    missing = tmp_path / "nope.json"
    result = _count(str(missing))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("llm-composer: error:")


def test_the_count_verb_imports_light():
    code = ("import sys, composer.cli.count\n"
            "heavy = [m for m in ('httpx', 'genai_prices', 'PySide6') if m in sys.modules]\n"
            "print(heavy); sys.exit(1 if heavy else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
