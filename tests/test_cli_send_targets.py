"""``llm-composer send FILE --target T ...`` as a user runs it (in this process): several targets
against loopback servers replaying real recordings of two protocols, one exchange per target in
``--out DIR``, progress on stderr, the figures' table on stdout, one line for bad input, and the
exit status saying whether every target answered."""

from __future__ import annotations

import json
import os
import re
import signal
import socket

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.parts import Message, TextPart
from composer.models.settings import RequestSettings
from tests import cassettes, forked_cli
from tests.cli_run import run_cli
from tests.conftest import ROOT, recordings_or_skip
from tests.loopback import LoopbackServer, Reply
from tests.replay_example import example_from

CHAT = "TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml"
ANTHROPIC = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"
KEY = "sk-ant-targets-canary"


def recorded(name: str) -> str:
    return cassettes.load(recordings_or_skip() / name).interactions[0].response_body


def composer(*args: str):
    return run_cli(*args, env={**os.environ, "ANTHROPIC_API_KEY": KEY}, cwd=ROOT)


@pytest.fixture
def conv(tmp_path):
    path = tmp_path / "conv.json"
    save(Conversation(messages=[Message.text("system", "You are a helpful assistant"),
                                Message.text("user", "Say hi in Portuguese")],
                      settings=RequestSettings(provider="replay")), path)
    return path


@pytest.fixture
def second_server():
    server = LoopbackServer().start()
    yield server
    server.stop()


def text_of(exchange) -> str:
    return "".join(p.text for m in exchange.messages for p in m.parts if isinstance(p, TextPart))


def test_targets_write_one_exchange_each_named_after_the_target(conv, tmp_path, loopback,
                                                                second_server):
    loopback.queue(Reply.sse(recorded(CHAT), delay=0.02), Reply.sse(recorded(CHAT)))
    second_server.queue(Reply.sse(recorded(ANTHROPIC)))
    out = tmp_path / "runs" / "today"
    targets = [f"custom:gpt-4o-mini,base_url={loopback.url}/v1",
               f"custom:gpt-4o-mini,base_url={loopback.url}/v1,temperature=0",
               f"anthropic:claude-sonnet-4-20250514,base_url={second_server.url},max_tokens=300"]

    result = composer("send", str(conv), *[a for t in targets for a in ("--target", t)],
                      "--out", str(out))

    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["anthropic-claude-sonnet-4-20250514.json", "custom-gpt-4o-mini-2.json",
                     "custom-gpt-4o-mini.json"]
    first, second = load(out / "custom-gpt-4o-mini.json"), load(out / "custom-gpt-4o-mini-2.json")
    claude = load(out / "anthropic-claude-sonnet-4-20250514.json")
    assert text_of(first) == text_of(second) == "Olá!"
    assert text_of(claude).startswith("Olá! (That's")
    # Each target's own options went out, and are in its exchange.
    assert "temperature" not in loopback.received[0].json
    assert loopback.received[1].json["temperature"] == 0
    assert second_server.received[0].json["max_tokens"] == 300
    assert claude.prompt.options == {"max_tokens": 300}
    # The shape the single send writes: llm's response dict with our extras, and no key.
    for path in out.iterdir():
        data = json.loads(path.read_text("utf-8"))
        assert {"model", "prompt", "messages", "usage", "composer"} <= data.keys()
        assert KEY not in path.read_text("utf-8")
    # Nothing streamed to stdout: the figures' table only, a row per target in order.
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["target", "TTFT", "tok/s", "tokens", "stop", "reason", "or",
                                "error"]
    assert [re.split(r"\s{2,}", line)[0] for line in lines[1:]] == [
        "custom:gpt-4o-mini", "custom:gpt-4o-mini #2", "anthropic:claude-sonnet-4-20250514"]
    assert "Olá" not in result.stdout
    assert lines[3].split()[-2:] == [f"{claude.usage.output:,}", claude.composer.stop_reason]
    # Progress on stderr: the queue, each target sent, first token and done; where files went.
    err = result.stderr
    assert "[2/3] custom:gpt-4o-mini #2: waits its turn at " + loopback.url in err
    for i, name in enumerate(["custom:gpt-4o-mini", "custom:gpt-4o-mini #2",
                              "anthropic:claude-sonnet-4-20250514"], 1):
        assert f"[{i}/3] {name}: sent" in err and f"[{i}/3] {name}: first token after " in err
        assert f"[{i}/3] {name}: done: " in err
    assert f"wrote {out / 'custom-gpt-4o-mini-2.json'}" in err


def test_a_targets_exchange_is_what_a_single_send_writes(conv, tmp_path, loopback):
    loopback.queue(Reply.sse(recorded(ANTHROPIC)), Reply.sse(recorded(ANTHROPIC)))
    single = composer("send", str(conv), "-p", "anthropic", "-m", "claude-sonnet-4-5",
                      "--base-url", loopback.url, "--out", str(tmp_path / "single.json"))
    several = composer("send", str(conv), "--target",
                       f"anthropic:claude-sonnet-4-5,base_url={loopback.url}",
                       "--out", str(tmp_path / "dir"))
    assert single.returncode == several.returncode == 0, (single.stderr, several.stderr)
    one = json.loads((tmp_path / "single.json").read_text("utf-8"))
    other = json.loads((tmp_path / "dir" / "anthropic-claude-sonnet-4-5.json").read_text("utf-8"))
    assert loopback.received[0].json == loopback.received[1].json  # the same request
    for key in ("model", "prompt", "messages", "usage", "id"):
        assert one[key] == other[key], key
    assert one.keys() == other.keys() and one["composer"].keys() == other["composer"].keys()
    for key in ("settings", "protocol", "url", "status", "stop_reason"):
        assert one["composer"][key] == other["composer"][key], key


def test_without_out_the_replies_follow_in_target_order_then_the_table(conv, loopback,
                                                                     second_server):
    # The first target's reply (6 chunks, 0.18 s) ends well after the second's (18, 0.054 s).
    second_server.queue(Reply.sse(recorded(ANTHROPIC), delay=0.003))
    loopback.queue(Reply.sse(recorded(CHAT), delay=0.03))
    result = composer("send", str(conv), "-t", f"custom:a,base_url={loopback.url}",
                      "-t", f"anthropic:b,base_url={second_server.url}")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("== custom:a ==\nOlá!\n") < out.index("== anthropic:b ==\nOlá! (That's")
    assert out.index("== anthropic:b ==") < out.index("target ")


def test_a_failing_target_fails_the_command_and_the_others_are_written(conv, tmp_path, loopback,
                                                                       second_server):
    loopback.queue(Reply.json({"type": "error", "error": {"type": "overloaded_error",
                                                          "message": "Overloaded"}}, status=529))
    second_server.queue(Reply.sse(recorded(CHAT)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    result = composer("send", str(conv), "--retries", "0", "--out", str(tmp_path / "o"),
                      "-t", f"anthropic:claude,base_url={loopback.url}",
                      "-t", f"custom:m,base_url=http://127.0.0.1:{closed}",
                      "-t", f"custom:m,base_url={second_server.url},label=good one")

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("llm-composer: error:")]
    assert errors == ["llm-composer: error: 2 of 3 targets failed: anthropic:claude, custom:m"]
    assert "[1/3] anthropic:claude: failed: 529 overloaded_error: Overloaded" in result.stderr
    assert "[2/3] custom:m: failed: cannot connect to 127.0.0.1" in result.stderr
    rows = result.stdout.splitlines()
    assert "error: 529 overloaded_error: Overloaded" in rows[1]
    assert rows[3].startswith("good one ") and rows[3].rstrip().endswith("stop")
    files = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert files == ["anthropic-claude.json", "custom-m.json", "good-one.json"]
    assert load(tmp_path / "o" / "anthropic-claude.json").composer.error.status == 529
    assert text_of(load(tmp_path / "o" / "good-one.json")) == "Olá!"


@pytest.mark.parametrize(("args", "line"), [
    (["-t", "openai"], None),  # no model is allowed: the file's or the preset's
    (["-t", ":gpt-4o"], "target ':gpt-4o': give it as PRESET:MODEL, e.g. openai:gpt-4o-mini"),
    (["-t", "openai:gpt-4o,temperature"],
     "target 'openai:gpt-4o,temperature': 'temperature' is not KEY=VALUE"),
    (["-t", "nonesuch:m"], "target nonesuch:m: unknown provider 'nonesuch'"),
    (["-t", "openai:m,temperature=hot"], "target 'openai:m,temperature=hot': "),
    (["-t", "openai:m", "--provider", "openai"],
     "--provider cannot go with --target: each target names its own preset and model"),
    (["-t", "openai:m", "--model", "x", "--base-url", "http://h"],
     "--model and --base-url cannot go with --target"),
])
def test_bad_targets_and_clashing_options_are_one_line(conv, args, line, loopback):
    if line is None:  # not bad: refused for want of a key, in its row, the command fails
        result = composer("send", str(conv), *args)
        assert result.returncode == 1 and "OPENAI_API_KEY" in result.stdout
        assert loopback.received == []
        return
    result = composer("send", str(conv), *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"llm-composer: error: {line}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_out_naming_a_file_is_refused_before_anything_is_sent(conv, tmp_path, loopback):
    target = tmp_path / "taken.json"
    target.write_text("{}")
    result = composer("send", str(conv), "-t", f"custom:a,base_url={loopback.url}",
                      "--out", str(target))
    assert result.returncode == 1 and loopback.received == []
    assert result.stderr.strip() == (f"llm-composer: error: --out {target}: with --target it "
                                     "names a folder (one exchange per target goes in it), and "
                                     "this is a file")
    assert target.read_text() == "{}"


def test_help_explains_the_target_syntax():
    result = composer("send", "--help")
    text = " ".join(result.stdout.split())
    assert result.returncode == 0
    assert "PRESET:MODEL[,KEY=VALUE]" in text and "base_url" in text and "label" in text
    assert "one at a time per server" in text


def test_ctrl_c_stops_every_target_writes_the_partial_exchanges_and_exits_130(tmp_path):
    conv, out = tmp_path / "conv.json", tmp_path / "out"
    # Two replays of the bundled example at its recorded pace from its first event (at 0.42 s):
    # the first token comes at once, the last event 1.33 s later.
    example = example_from(tmp_path / "example.json", 0.42)
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay", base_url=str(example),
                                               options={"speed": 1})), conv)
    printed, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    proc = forked_cli.start(["send", str(conv), "--out", str(out), "-t", "replay:a", "-t",
                             "replay:b"], env=dict(os.environ), cwd=ROOT, stdout=printed,
                            stderr=err)
    try:
        seen = forked_cli.wait_for(err, "first token", proc)
        assert "first token" in seen, seen
        os.kill(proc.pid, signal.SIGINT)
        proc.join(timeout=20)
    finally:
        proc.kill()
    stdout, stderr = printed.read_text(), err.read_text()
    assert proc.exitcode == 130, stderr
    assert f"llm-composer: interrupted; the partial exchanges are in {out}" in stderr
    assert "Traceback" not in stderr
    for name in ("replay-a.json", "replay-b.json"):
        exchange = load(out / name)
        assert exchange.composer.error.kind == "cancelled"
        assert exchange.composer.stop_reason == "cancelled"
    assert stdout.splitlines()[1].split()[-1] == "stopped"


def test_a_files_base_url_gets_the_key_only_with_trust_base_url(tmp_path, loopback):
    conv = tmp_path / "conv.json"
    save(Conversation(messages=[Message.text("user", "Say hi in Portuguese")],
                      settings=RequestSettings(provider="anthropic", model="claude",
                                               base_url=loopback.url)), conv)
    refused = composer("send", str(conv), "-t", "anthropic:claude-sonnet-4-5")
    assert refused.returncode == 1 and loopback.received == []
    assert "give the target its own base_url=, or pass --trust-base-url" in refused.stderr
    loopback.queue(Reply.sse(recorded(ANTHROPIC)))
    trusted = composer("send", str(conv), "-t", "anthropic:claude-sonnet-4-5",
                       "--trust-base-url")
    assert trusted.returncode == 0, trusted.stderr
    assert loopback.received[0].headers["x-api-key"] == KEY
