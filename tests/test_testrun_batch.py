"""Batch mode end to end: a suite run through the OpenAI, Anthropic and Gemini batch APIs of a
stateful loopback server (tests/batch_server.py: create, a pending poll first, results with one
errored request) ends with the same cell files as a direct run against the same replies; a
resume after the process was killed mid-poll polls and submits nothing again (creates counted
on the server); the limits split a run into several batches; a failed batch is submitted again
on resume; the discount is applied once and said in the cell."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load
from composer.models.settings import RequestSettings
from composer.providers.transport import Call, run_call
from composer.run.testrun import batch_apis
from composer.run.testrun.batch_apis import Limits
from tests import cassettes, forked_cli, suite_files
from tests.batch_server import BatchServer
from tests.cli_run import run_cli
from tests.conftest import recordings_or_skip

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test",
        "GEMINI_API_KEY": "gem-test"}
RECORDED = {"openai-chat": "TestOpenAICommon/openai-gpt-4o/simple.yaml",  # "Oi!"
            "openai-responses": "TestOpenAIResponsesCommon/openai-gpt-4o/simple.yaml",  # "Olá!"
            "anthropic": "TestAnthropicCommon/claude-sonnet-4/simple.yaml",  # "Olá! ..."
            "gemini": "TestGoogleCommon/gemini-2.5-flash/simple.yaml"}  # "Olá!"
ERRORS = {  # what each provider answers a request it refuses, as its non-streamed endpoint does
    "openai-chat": {"error": {"message": "Unsupported language: Klingon", "type":
                              "invalid_request_error", "param": "messages", "code": None}},
    "openai-responses": {"error": {"message": "Unsupported language: Klingon", "type":
                                   "invalid_request_error", "param": "input", "code": None}},
    "anthropic": {"type": "error", "error": {"type": "invalid_request_error",
                                             "message": "Unsupported language: Klingon"}},
    "gemini": {"error": {"code": 400, "message": "Unsupported language: Klingon",
                         "status": "INVALID_ARGUMENT"}},
}


def answer(protocol: str, body: dict) -> tuple[int, dict]:
    """The recorded whole reply of the protocol; a 400 for the Klingon case."""
    if "Klingon" in json.dumps(body):
        return 400, ERRORS[protocol]
    recorded = recordings_or_skip() / RECORDED[protocol]
    return 200, json.loads(cassettes.load(recorded).interactions[0].response_body)


@pytest.fixture
def server():
    # Here, on the test's thread: a skip raised in the server's thread (answer) failed the
    # test with "Server disconnected" where ../shared is absent.
    recordings_or_skip()
    made = BatchServer(answer)
    yield made
    made.stop()


def write_suite(folder: Path, url: str, cases=("Portuguese", "Galician", "Klingon"),
                targets=None) -> Path:
    return suite_files.write_suite(
        folder,
        targets or [
            f"openai-chat:gpt-4o,base_url={url}/v1",
            {"provider": "anthropic", "model": "claude-sonnet-4-20250514", "base_url": url,
             "options": {"max_tokens": 4000}},
            f"gemini:gemini-2.5-flash,base_url={url}"],
        [{"kind": "contains", "value": "{{expected}}"},
         {"kind": "not-contains", "value": "Adeus", "ignore_case": True},
         {"kind": "regex", "pattern": "Portuguese", "label": "names the language"},
         {"kind": "cost", "under_usd": 0.01}],
        [(lang, "Oi" if n % 2 else "Ol") for n, lang in enumerate(cases)])


def composer(*args: str, cwd: Path):
    return run_cli(*args, env={**os.environ, **KEYS}, cwd=cwd)


def cells(folder: Path) -> dict[str, object]:
    return {str(p.relative_to(folder)): load(p) for p in sorted((folder / "cells").rglob("*.json"))}


def test_a_batch_run_ends_with_the_same_cell_files_as_a_direct_run(server, tmp_path):
    suite = write_suite(tmp_path, server.url)
    direct = composer("run", suite.name, "--out", "direct", "--trust-base-url", cwd=tmp_path)
    assert direct.returncode == 1, direct.stderr  # some checks fail, Klingon errors
    assert sum(v for k, v in server.counts.items() if k.startswith("direct-")) == 9

    batch = composer("run", suite.name, "--out", "batch", "--trust-base-url", "--batch",
                     "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert batch.returncode == 1, batch.stderr
    assert {k: v for k, v in server.counts.items() if k.startswith(("create", "direct"))} == {
        "create-openai": 1, "create-anthropic": 1, "create-gemini": 1,
        "direct-openai-chat": 3, "direct-anthropic": 3, "direct-gemini": 3}
    for api in ("openai", "anthropic", "gemini"):  # a pending poll first, then the end
        assert server.counts[f"poll-{api}"] == 2
    assert "submitted b001-t1-openai.json: openai batch batch_1, 3 request(s)" in batch.stderr
    assert "batch_1: in_progress" in batch.stderr

    direct_cells, batch_cells = cells(tmp_path / "direct"), cells(tmp_path / "batch")
    assert list(direct_cells) == list(batch_cells) and len(direct_cells) == 9
    statuses = set()
    for path, d in direct_cells.items():
        b = batch_cells[path]
        assert [m.to_dict() for m in b.messages] == [m.to_dict() for m in d.messages], path
        dv, bv = d.composer.cell["verdicts"], b.composer.cell["verdicts"]
        assert [v for v in bv if v["kind"] != "cost"] == \
               [v for v in dv if v["kind"] != "cost"], path
        assert b.composer.cell["status"] == d.composer.cell["status"]
        statuses.add(d.composer.cell["status"])
        assert b.composer.batch["price"] == "batch price: 50% of the list price"
        if d.composer.cell["cost_usd"] is not None:  # same usage, half the price
            assert b.composer.cell["cost_usd"] == pytest.approx(d.composer.cell["cost_usd"] / 2)
    assert statuses == {"pass", "fail", "error"}
    klingon = batch_cells["cells/t2-anthropic-claude-sonnet-4-20250514/c003-kl.r1.json"]
    assert klingon.composer.cell["verdicts"][0]["why"] == \
        "400 invalid_request_error: Unsupported language: Klingon"
    # Each batch request is the direct request's body with streaming off.
    def direct_body(path_end: str) -> dict:  # the Portuguese case's (they come in any order)
        return next(json.loads(s.body) for s in server.received if s.path.endswith(path_end)
                    and b"Say hi in Portuguese" in s.body)

    sent = direct_body("/v1/messages")
    line = json.loads(next(s.body for s in server.received if s.path == "/v1/messages/batches"))
    assert line["requests"][0]["params"] == {k: v for k, v in sent.items() if k != "stream"}
    sent = direct_body("/v1/chat/completions")
    line = json.loads(server.files["file-1"].splitlines()[0])
    assert line["body"] == {k: v for k, v in sent.items() if k not in ("stream",
                                                                      "stream_options")}
    assert (line["url"], sent["stream"]) == ("/v1/chat/completions", True)
    sent = direct_body(":streamGenerateContent?alt=sse")
    made = json.loads(next(s.body for s in server.received
                           if s.path.endswith(":batchGenerateContent")))
    assert made["batch"]["input_config"]["requests"]["requests"][0] == {
        "request": sent, "metadata": {"key": "cell-7"}}
    # A batch cell replays like any exchange: its one event is the whole reply.
    for path, cell in batch_cells.items():
        if cell.composer.error is not None:  # an error has no reply to replay, as directly
            assert not cell.composer.events and not direct_cells[path].composer.events
            continue
        replayed = asyncio.run(run_call(Call(Conversation(
            messages=list(cell.prompt.messages),
            settings=RequestSettings(provider="replay", base_url=str(tmp_path / "batch" / path))
        ))))
        assert [m.to_dict() for m in replayed.messages] == \
            [m.to_dict() for m in cell.messages], path
        assert replayed.composer.error is None
    manifest = json.loads((tmp_path / "batch/run.json").read_text())
    assert [(b["api"], b["state"], b["requests"]) for b in manifest["batches"]] == [
        ("openai", "fetched", 3), ("anthropic", "fetched", 3), ("gemini", "fetched", 3)]


def test_batch_without_wait_exits_and_resume_polls_then_fetches(server, tmp_path):
    server.pending_polls = 1
    suite = write_suite(tmp_path, server.url)
    first = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                     cwd=tmp_path)
    assert first.returncode == 4, first.stderr
    assert "3 batch(es) still running (9 cell(s))" in first.stderr
    assert not (tmp_path / "out/cells").exists()
    records = sorted(p.name for p in (tmp_path / "out/batches").iterdir())
    assert records == ["b001-t1-openai.json", "b002-t2-anthropic.json", "b003-t3-gemini.json"]
    assert json.loads((tmp_path / "out/batches/b001-t1-openai.json").read_text())["id"] == \
        "batch_1"
    pending = composer("run", suite.name, "--out", "out", "--resume", cwd=tmp_path)
    assert pending.returncode == 2  # the suite's base URLs still need --trust-base-url
    again = composer("run", suite.name, "--out", "out", "--resume", "--trust-base-url",
                     cwd=tmp_path)
    assert again.returncode == 4, again.stderr  # the first poll is pending
    done = composer("run", suite.name, "--out", "out", "--resume", "--trust-base-url",
                    cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert len(cells(tmp_path / "out")) == 9
    assert sum(v for k, v in server.counts.items() if k.startswith("create")) == 3
    # The errored (Klingon) cells are submitted once more by the next resume, and only they.
    retry = composer("run", suite.name, "--out", "out", "--resume", "--trust-base-url",
                     "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert retry.returncode == 1
    assert sum(v for k, v in server.counts.items() if k.startswith("create")) == 6
    assert [len(b.requests) for b in list(server.batches.values())[3:]] == [1, 1, 1]


def test_a_resume_after_a_kill_mid_poll_polls_and_submits_nothing_again(server, tmp_path):
    server.pending_polls = 10_000  # never ends while the first process polls
    suite = write_suite(tmp_path, server.url, targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1"])
    child = forked_cli.start(
        ["run", str(suite), "--out", str(tmp_path / "out"), "--trust-base-url", "--batch",
         "--wait", "--poll-interval", "0.02"],
        env={**os.environ, **KEYS, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while server.counts["poll-openai"] < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.counts["poll-openai"] >= 3
    finally:
        child.kill()
        child.join()
    assert server.counts["create-openai"] == 1
    server.pending_polls = 0
    resumed = composer("run", suite.name, "--out", "out", "--resume", "--trust-base-url",
                       cwd=tmp_path)
    assert resumed.returncode == 1, resumed.stderr
    assert server.counts["create-openai"] == 1 and server.counts["uploads"] == 1
    assert len(cells(tmp_path / "out")) == 3


def test_the_limits_split_a_run_into_several_batches(server, tmp_path, monkeypatch):
    monkeypatch.setitem(batch_apis.LIMITS, "openai", Limits(requests=2, bytes=10**9))
    suite = write_suite(tmp_path, server.url, cases=("Portuguese", "Galician", "Spanish",
                                                    "Basque", "Catalan"), targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1",
        {"provider": "anthropic", "model": "claude-sonnet-4-20250514",
         "base_url": server.url, "options": {"max_tokens": 4000}}])
    one = json.dumps({"custom_id": "cell-10", "params": {}})  # about one anthropic item
    monkeypatch.setitem(batch_apis.LIMITS, "anthropic",
                        Limits(requests=100, bytes=3 * (len(one) + 250)))
    result = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                      "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    sizes = {api: [len(b.requests) for b in server.batches.values() if b.api == api]
             for api in ("openai", "anthropic")}
    assert sizes["openai"] == [2, 2, 1]
    assert len(sizes["anthropic"]) > 1 and sum(sizes["anthropic"]) == 5
    assert len(cells(tmp_path / "out")) == 10


def test_a_failed_batch_is_submitted_again_on_resume(server, tmp_path):
    server.fates.extend(["failed"])
    suite = write_suite(tmp_path, server.url, targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1"])
    first = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                     "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert "b001-t1-openai.json: openai batch batch_1: failed" in first.stderr
    assert "Enqueued token limit reached" in first.stderr
    assert server.counts["create-openai"] == 1  # not re-submitted in the same run
    record = json.loads((tmp_path / "out/batches/b001-t1-openai.json").read_text())
    assert record["state"] == "failed"
    resumed = composer("run", suite.name, "--out", "out", "--resume", "--trust-base-url",
                       "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert resumed.returncode == 1, resumed.stderr
    assert server.counts["create-openai"] == 2
    assert [len(b.requests) for b in server.batches.values()] == [3, 3]
    assert len(cells(tmp_path / "out")) == 3


def test_a_target_without_a_batch_api_is_refused_and_nothing_is_sent(server, tmp_path):
    suite = write_suite(tmp_path, server.url, targets=[
        f"groq:llama-3.1-8b-instant,base_url={server.url}/v1"])
    result = run_cli("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                     env={**os.environ, **KEYS, "GROQ_API_KEY": "gsk"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "target groq:llama-3.1-8b-instant: Groq has no batch API Composer can use" in \
        result.stderr
    assert not server.received


def test_the_responses_preset_goes_to_the_batch_api_s_responses_endpoint(server, tmp_path):
    suite = write_suite(tmp_path, server.url, targets=[f"openai:gpt-4o,base_url={server.url}/v1"])
    result = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                      "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # Klingon errors
    lines = [json.loads(line) for line in server.files["file-1"].splitlines()]
    assert {line["url"] for line in lines} == {"/v1/responses"}
    assert all("stream" not in line["body"] and line["body"]["model"] == "gpt-4o"
               for line in lines)
    cell = load(tmp_path / "out/cells/t1-openai-gpt-4o/c001-po.r1.json")
    assert cell.messages[0].parts[0].text == "Olá!"
    assert cell.composer.cell["status"] == "fail"  # "names the language" fails
    assert cell.composer.cell["verdicts"][0]["status"] == "pass"  # contains 'Ol'
    error = load(tmp_path / "out/cells/t1-openai-gpt-4o/c003-kl.r1.json")
    assert error.composer.cell["verdicts"][0]["why"] == \
        "400 invalid_request_error: Unsupported language: Klingon (param input)"


def test_results_on_another_origin_do_not_get_the_key(server, tmp_path):
    elsewhere = BatchServer(answer)
    try:
        server.results_base = elsewhere.url
        suite = write_suite(tmp_path, server.url, targets=[
            {"provider": "anthropic", "model": "claude-sonnet-4-20250514",
             "base_url": server.url, "options": {"max_tokens": 4000}}])
        result = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                          "--wait", "--poll-interval", "0.01", cwd=tmp_path)
        assert f"the message batch's results are at {elsewhere.url}, not at {server.url}: " \
               "your key was not sent there" in result.stderr
        assert not elsewhere.received
        assert not (tmp_path / "out/cells").exists()
        record = json.loads((tmp_path / "out/batches/b001-t1-anthropic.json").read_text())
        assert record["state"] == "submitted"  # still to fetch: nothing is lost
    finally:
        elsewhere.stop()


def test_a_direct_run_into_a_folder_with_batches_is_refused(server, tmp_path):
    suite = write_suite(tmp_path, server.url, targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1"])
    composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch", cwd=tmp_path)
    again = composer("run", suite.name, "--out", "out", "--trust-base-url", cwd=tmp_path)
    assert again.returncode == 2
    assert "already holds a run: pass --resume" in again.stderr
    assert server.counts["create-openai"] == 1 and not server.counts["direct-openai-chat"]


def test_the_budget_limits_what_is_submitted_at_the_batch_price(server, tmp_path):
    from composer.run.testrun.folder import plan
    from composer.run.testrun.runner import estimate
    from composer.run.testrun.suite import load_suite

    suite = write_suite(tmp_path, server.url, targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1"])
    one = estimate(plan(load_suite(suite))[:1]).cost_usd  # the list price of one cell
    budget = f"{one * 0.5 * 2.5:.6f}"  # two cells at the batch price fit, not three
    result = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                      "--budget", budget, "--wait", "--poll-interval", "0.01", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # a check failed: that comes first
    assert "budget reached" in result.stderr and "1 cell(s) not sent" in result.stderr
    assert [len(b.requests) for b in server.batches.values()] == [2]
    assert len(cells(tmp_path / "out")) == 2


def test_an_id_that_is_not_one_is_refused_and_nothing_is_recorded(server, tmp_path,
                                                                   monkeypatch):
    created = server._create

    def hostile(*args, **kw):  # the batch is made, but its id would climb the URL path
        status, ctype, body = created(*args, **kw)
        return status, ctype, json.dumps({**json.loads(body), "id": ".."}).encode()

    monkeypatch.setattr(server, "_create", hostile)
    suite = write_suite(tmp_path, server.url, targets=[
        f"openai-chat:gpt-4o,base_url={server.url}/v1"])
    result = composer("run", suite.name, "--out", "out", "--trust-base-url", "--batch",
                      cwd=tmp_path)
    assert "b001-t1-openai.json: creating the batch: the server answered no usable id ('..')" \
        in result.stderr
    assert not (tmp_path / "out/batches").exists()
    assert not [s for s in server.received if s.method == "GET"]
