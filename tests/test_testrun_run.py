"""Test runs end to end: a suite sent to loopback servers of two protocols replaying real recorded
replies, with checks that pass and checks that fail; the run folder's files; the budget cap,
Stop, a failing cell, resume (counted on the server), a newer folder refused, --dry-run and the
trust rule for the suite's base URLs. The SIGKILL test is in test_testrun_sigkill.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from msgspec.structs import replace

from composer.models.files import load
from composer.paths import EXAMPLES
from composer.run.lanes import Lanes
from composer.run.prepare import prepare_call
from composer.run.testrun.folder import RunFolderError
from composer.run.testrun.runner import BudgetReached, CellFinished, CellStarted, Runner
from composer.run.testrun.suite import load_suite
from composer.run.testrun.summary import compare, load_run
from tests import cassettes, suite_files
from tests.cli_run import run_cli
from tests.conftest import recordings_or_skip
from tests.loopback import LoopbackServer, Reply

OPENAI = "TestOpenAICommon/openai-gpt-4o/simple_streaming.yaml"  # "Olá!"
ANTHROPIC = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"  # "Olá! (That's ..."
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}
LANGS = ["Portuguese", "Galician", "Spanish"]


def recorded(name: str) -> str:
    return cassettes.load(recordings_or_skip() / name).interactions[0].response_body


@pytest.fixture
def servers():
    """An openai-chat and an anthropic loopback server, each answering every request with its
    recorded reply."""
    made = {"openai": LoopbackServer().start(), "anthropic": LoopbackServer().start()}
    bodies = {"openai": recorded(OPENAI), "anthropic": recorded(ANTHROPIC)}
    for name, server in made.items():
        server.queue(*[Reply.sse(bodies[name]) for _ in range(60)])
    yield made
    for server in made.values():
        server.stop()


def sent_langs(server: LoopbackServer) -> list[str]:
    """The case of every request the server received (the language it asks for)."""
    out = []
    for received in server.received:
        text = json.dumps(received.json)
        out.append(next(lang for lang in LANGS if f"Say hi in {lang}" in text))
    return out


def write_suite(folder: Path, servers, **fields) -> Path:
    return suite_files.write_suite(
        folder,
        [f"openai-chat:gpt-4o,base_url={servers['openai'].url}/v1",
         {"provider": "anthropic", "model": "claude-sonnet-4-20250514",
          "base_url": servers["anthropic"].url, "options": {"max_tokens": 4000}}],
        fields.pop("checks", [
            {"kind": "contains", "value": "{{expected}}"},
            {"kind": "not-contains", "value": "Adeus", "ignore_case": True},
            {"kind": "stop-reason", "value": "stop"},
            {"kind": "latency", "under_ms": 30000},
            {"kind": "cost", "under_usd": 0.01},
            {"kind": "regex", "pattern": "Portuguese", "label": "names the language"}]),
        [(lang, "Olá") for lang in LANGS], **fields)


def composer(*args: str, cwd: Path, env: dict | None = None):
    return run_cli(*args, env={**os.environ, **KEYS, **(env or {})}, cwd=cwd)


def test_a_suite_runs_on_two_protocols_with_checks_that_pass_and_fail(servers, tmp_path):
    path = write_suite(tmp_path, servers)
    result = composer("run", path.name, "--out", "out", "--trust-base-url", cwd=tmp_path)

    assert result.returncode == 1, result.stderr  # "names the language" fails for openai
    assert sorted(sent_langs(servers["openai"])) == sorted(LANGS)
    assert sorted(sent_langs(servers["anthropic"])) == sorted(LANGS)
    out = tmp_path / "out"
    cell = load(out / "cells/t1-openai-chat-gpt-4o/c001-po.r1.json")
    assert cell.messages[0].parts[0].text == "Olá!"
    verdicts = {v["label"]: (v["status"], v["why"]) for v in cell.composer.cell["verdicts"]}
    assert verdicts["contains '{{expected}}'"] == ("pass", "reply contains 'Olá'")
    assert verdicts["stop reason 'stop'"] == ("pass", "stopped with 'stop'")
    assert verdicts["names the language"] == ("fail", "reply does not match /Portuguese/")
    assert verdicts["cost < $0.01"][0] == "pass"  # gpt-4o's price, 20 tokens in, 2 out
    anthropic = load(out / "cells/t2-anthropic-claude-sonnet-4-20250514/c001-po.r1.json")
    assert anthropic.composer.cell["status"] == "pass"  # its reply names Portuguese
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["counts"] == {"pass": 3, "fail": 3, "error": 0, "pending": 0}
    assert [s["pass_rate"] for s in manifest["summary"]] == [0.0, 1.0]
    assert re.search(r"^openai-chat:gpt-4o\s+0%\s+0\s+3\s+0\s+0\s+\$0\.000\d+\s+\d+ ms$",
                     result.stdout, re.M), result.stdout
    assert re.search(r"^anthropic:claude-sonnet-4-20250514\s+100%\s+3\s+0\s+0", result.stdout,
                     re.M)
    assert "fail: openai-chat:gpt-4o · po · r1: names the language: reply does not match " \
           "/Portuguese/" in result.stderr
    assert "[6/6]" in result.stderr  # plain progress lines when not on a terminal


def test_a_suite_s_base_urls_get_no_key_without_trust_and_dry_run_sends_nothing(
        servers, tmp_path):
    path = write_suite(tmp_path, servers)
    refused = composer("run", path.name, "--out", "out", cwd=tmp_path)
    assert refused.returncode == 2
    assert f"target openai-chat:gpt-4o: not sending your OpenAI (Chat Completions) API key " \
           f"to {servers['openai'].url}" in refused.stderr
    dry = composer("run", path.name, "--dry-run", "--trust-base-url", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "hi: 6 cells (2 targets × 3 cases × 1 repeat); to send: 6 calls, " \
           "estimated $0." in dry.stderr
    assert dry.stdout.splitlines()[0] == \
        "openai-chat:gpt-4o\tpo\tr1\tcells/t1-openai-chat-gpt-4o/c001-po.r1.json"
    assert len(dry.stdout.splitlines()) == 6
    assert not servers["openai"].received and not servers["anthropic"].received
    assert not (tmp_path / "out").exists() and not (tmp_path / "runs").exists()


def test_a_failing_cell_is_an_error_verdict_the_run_goes_on_and_resume_sends_only_it(
        servers, tmp_path):
    overloaded = Reply.json({"type": "error", "error": {"type": "overloaded_error",
                                                        "message": "Overloaded"}}, status=529)
    servers["anthropic"].replies.appendleft(overloaded)  # the first anthropic call fails
    path = write_suite(tmp_path, servers, checks=[{"kind": "contains", "value": "Olá"}])
    first = composer("run", path.name, "--out", "out", "--trust-base-url", "--retries", "0",
                     cwd=tmp_path)
    assert first.returncode == 1
    assert "error: anthropic:claude-sonnet-4-20250514 · po · r1: request: 529 " \
           "overloaded_error: Overloaded" in first.stderr
    summary = load_run(tmp_path / "out")
    assert summary.counts() == {"pass": 5, "fail": 0, "error": 1, "pending": 0}
    before = len(servers["anthropic"].received), len(servers["openai"].received)

    again = composer("run", path.name, "--out", "out", "--trust-base-url", "--resume",
                     cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sent_langs(servers["anthropic"])[before[0]:] == ["Portuguese"]
    assert len(servers["openai"].received) == before[1]
    assert "5 already done" in again.stderr


def run_suite(suite, folder, **kw):
    def make_call(conversation, client):
        return prepare_call(conversation, client=client, chosen=True).call

    runner = Runner(suite, folder, make_call, **kw)
    return runner, asyncio.run(runner.run())


def test_the_budget_stops_new_calls_once_spent_and_says_so(servers, tmp_path, monkeypatch):
    for key, value in KEYS.items():
        monkeypatch.setenv(key, value)
    suite = load_suite(write_suite(tmp_path, servers, repeats=3))
    events = []
    # A flat price per call: every call costs a cent.
    runner, summary = run_suite(suite, tmp_path / "out", price=lambda p, m, i, o: 0.01,
                                budget_usd=0.025, on_event=events.append)
    sent = len(servers["openai"].received) + len(servers["anthropic"].received)
    # Each loopback server is a local lane (one call at a time): two calls may be in flight
    # when the spend crosses the budget, so 3 or 4 calls, never more.
    assert sent in (3, 4)
    budget = [e for e in events if isinstance(e, BudgetReached)]
    assert len(budget) == 1 and budget[0].not_started == 18 - sent
    assert summary.counts()["pending"] == 18 - sent
    assert runner.budget_reached and summary.spent_usd == pytest.approx(0.01 * sent)


def test_events_come_per_cell_with_the_spend_and_stop_keeps_only_finished_cells(
        servers, tmp_path, monkeypatch):
    for key, value in KEYS.items():
        monkeypatch.setenv(key, value)
    for server in servers.values():  # slow replies: Stop lands while calls are in flight
        for reply in server.replies:
            reply.delay = 0.01
    suite = load_suite(write_suite(tmp_path, servers, repeats=4))
    events: list = []
    runner = None

    def on_event(event):
        events.append(event)
        if isinstance(event, CellFinished) and event.done == 5:
            runner.stop()

    def make_call(conversation, client):
        return prepare_call(conversation, client=client, chosen=True).call

    runner = Runner(suite, tmp_path / "out", make_call, on_event=on_event, lanes=Lanes())
    summary = asyncio.run(runner.run())
    finished = [e for e in events if isinstance(e, CellFinished)]
    started = [e for e in events if isinstance(e, CellStarted)]
    assert [e.done for e in finished] == list(range(1, len(finished) + 1))
    assert all(e.total == 24 for e in finished)
    assert finished[-1].spent_usd == pytest.approx(sum(e.result.cost_usd for e in finished))
    assert 5 <= len(finished) <= 6 and len(started) <= len(finished) + 2
    files = list((tmp_path / "out" / "cells").rglob("*.json"))
    assert len(files) == len(finished) == 24 - summary.counts()["pending"]


def test_resume_judges_kept_cells_by_the_edited_checks_without_sending(servers, tmp_path):
    path = write_suite(tmp_path, servers)
    assert composer("run", path.name, "--out", "out", "--trust-base-url",
                    cwd=tmp_path).returncode == 1
    sent = len(servers["openai"].received) + len(servers["anthropic"].received)
    data = json.loads(path.read_text())
    data["checks"] = [{"kind": "contains", "value": "Olá"}]
    path.write_text(json.dumps(data))
    again = composer("run", path.name, "--out", "out", "--trust-base-url", "--resume",
                     cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(servers["openai"].received) + len(servers["anthropic"].received) == sent
    cell = load(tmp_path / "out/cells/t1-openai-chat-gpt-4o/c001-po.r1.json")
    assert [v["label"] for v in cell.composer.cell["verdicts"]] == ["contains 'Olá'"]
    # Editing the conversation makes every cell stale: all are sent again.
    data["conversation"]["messages"][0]["parts"][0]["text"] = "You are terse"
    path.write_text(json.dumps(data))
    assert composer("run", path.name, "--out", "out", "--trust-base-url", "--resume",
                    cwd=tmp_path).returncode == 0
    assert len(servers["openai"].received) + len(servers["anthropic"].received) == sent + 6


def test_a_second_run_into_a_used_folder_without_resume_is_refused(servers, tmp_path):
    path = write_suite(tmp_path, servers)
    composer("run", path.name, "--out", "out", "--trust-base-url", cwd=tmp_path)
    again = composer("run", path.name, "--out", "out", "--trust-base-url", cwd=tmp_path)
    assert again.returncode == 2
    assert "already holds a run: pass --resume" in again.stderr


@pytest.mark.parametrize("newer", ["manifest", "suite copy", "cell"])
def test_a_run_folder_written_by_a_newer_composer_is_refused(servers, tmp_path, newer):
    path = write_suite(tmp_path, servers)
    composer("run", path.name, "--out", "out", "--trust-base-url", cwd=tmp_path)
    sent = len(servers["openai"].received)
    out = tmp_path / "out"
    target = {"manifest": out / "run.json", "suite copy": out / "suite.json",
              "cell": out / "cells/t1-openai-chat-gpt-4o/c002-ga.r1.json"}[newer]
    data = json.loads(target.read_text())
    if newer == "cell":
        data["composer"]["cell"]["run_format"] = 7
    else:
        data["composer"]["format_version"] = 7
    target.write_text(json.dumps(data))
    result = composer("run", path.name, "--out", "out", "--trust-base-url", "--resume",
                      cwd=tmp_path)
    assert result.returncode == 2
    assert "newer Composer" in result.stderr and "update Composer" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(servers["openai"].received) == sent
    with pytest.raises(RunFolderError, match="newer Composer"):
        load_run(out)


def test_the_summary_is_rebuilt_from_the_files_alone_and_compared_with_a_baseline(
        servers, tmp_path):
    path = write_suite(tmp_path, servers)
    composer("run", path.name, "--out", "base", "--trust-base-url", cwd=tmp_path)
    manifest = json.loads((tmp_path / "base" / "run.json").read_text())
    (tmp_path / "base" / "run.json").unlink()
    baseline = load_run(tmp_path / "base", write=True)
    rebuilt = json.loads((tmp_path / "base" / "run.json").read_text())
    for key in ("counts", "summary", "cells", "targets", "checks"):
        assert rebuilt[key] == manifest[key]
    data = json.loads(path.read_text())
    data["checks"][-1]["pattern"] = "Ol"  # now every cell passes
    path.write_text(json.dumps(data))
    composer("run", path.name, "--out", "new", "--trust-base-url", cwd=tmp_path)
    current = load_run(tmp_path / "new")
    change = compare(baseline, current)
    assert [(t.target, t.pass_delta) for t in change.targets] == [
        ("openai-chat:gpt-4o", 1.0), ("anthropic:claude-sonnet-4-20250514", 0.0)]
    assert change.targets[0].score_delta == pytest.approx(1 / 6)
    assert {(c.case, c.before, c.after) for c in change.changed} == {
        ("po", "fail", "pass"), ("ga", "fail", "pass"), ("sp", "fail", "pass")}


def test_the_example_suite_runs_without_a_key_or_a_server(tmp_path):
    result = composer("run", str(EXAMPLES / "suite.json"), "--out", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    summary = load_run(tmp_path / "out")
    assert [(r.cell.case.id, r.status) for r in summary.results] == [("lisbon", "pass"),
                                                                     ("porto", "fail")]
    porto = summary.cell(0, "porto")
    assert [v.status for v in porto.verdicts] == ["pass", "pass", "fail", "pass", "pass", "skip"]
    assert porto.verdicts[5].why == "a replay is not billed"
    assert re.search(r"^replay\s+50%\s+1\s+1\s+0\s+0\s+no price known", result.stdout, re.M)


def test_resume_without_out_takes_the_newest_run_beside_the_suite(servers, tmp_path):
    path = write_suite(tmp_path, servers)
    first = composer("run", path.name, "--trust-base-url", cwd=tmp_path)
    assert first.returncode == 1
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("hi-")
    again = composer("run", path.name, "--trust-base-url", "--resume", cwd=tmp_path)
    assert f"6 already done in {runs[0]}" in again.stderr
    nothing = composer("run", "hi.suite.json", "--resume", cwd=tmp_path / "runs")
    assert nothing.returncode == 2


def test_on_a_terminal_progress_is_one_bar_redrawn_with_cells_done_and_the_spend(
        servers, tmp_path, monkeypatch):
    import io

    from composer.cli.run import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for key, value in KEYS.items():
        monkeypatch.setenv(key, value)
    suite = load_suite(write_suite(tmp_path, servers))
    screen = Terminal()
    progress = Progress(screen, total=6, done=0)
    run_suite(suite, tmp_path / "out", price=lambda p, m, i, o: 0.5, on_event=progress)
    progress.finish()
    frames = screen.getvalue().split("\r")[1:]
    assert len(frames) == 6 and screen.getvalue().endswith("\n")
    assert re.fullmatch(r"\[#####-{23}\] 1/6 cells · \$[01]\.\d{4} spent · [01] not passed\x1b\[K",
                        frames[0]), frames[0]
    assert frames[-1].startswith("[############################] 6/6 cells · $3.0000 spent · "
                                 "6 not passed\x1b[K")  # at $0.50 a call, cost < $0.01 fails


def test_the_runs_shape_counts_its_cells_targets_cases_and_repeats_in_words(servers, tmp_path):
    suite = load_suite(write_suite(tmp_path, servers, repeats=2))
    runner = Runner(suite, tmp_path / "out", lambda conversation, client: None)
    assert runner.shape() == "12 cells (2 targets × 3 cases × 2 repeats)"
    one = replace(suite, targets=suite.targets[:1], cases=suite.cases[:1], repeats=1)
    assert Runner(one, tmp_path / "one", lambda conversation, client: None).shape() == \
        "1 cell (1 target × 1 case × 1 repeat)"
