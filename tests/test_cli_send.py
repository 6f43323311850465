"""``llm-composer send`` and ``models`` as a user runs them, against the loopback server replaying
real recorded traffic, and fault cases; in this process, but for Ctrl-C (a real signal)."""

from __future__ import annotations

import json
import os
import signal

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.formats import import_data, import_path
from composer.models.parts import Message, ReasoningPart, ToolCallPart
from composer.models.settings import RequestSettings
from composer.providers.replay import EXAMPLE_EXCHANGE
from tests import cassettes, forked_cli
from tests.cli_run import run_cli
from tests.conftest import ROOT, recordings_or_skip
from tests.loopback import Reply
from tests.replay_example import example_from

THINKING = "TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml"


def composer(*args: str, env: dict | None = None):
    """``llm-composer ARGS`` in this process (tests/cli_run.py); Ctrl-C below needs a real one."""
    return run_cli(*args, env={**os.environ, **(env or {})}, cwd=ROOT)


def recorded_deltas(body: str, kind: str, field: str) -> list[str]:
    """The ``kind`` deltas of a recorded Anthropic stream, read straight from its bytes."""
    out = []
    for line in body.splitlines():
        if line.startswith("data:"):
            data = json.loads(line[5:])
            if data.get("type") == "content_block_delta" and data["delta"]["type"] == kind:
                out.append(data["delta"][field])
    return out


def anthropic_conversation(path, **settings) -> None:
    conv = Conversation(
        messages=[Message.text("system", "You are a helpful assistant"),
                  Message.text("user", "What's the weather in Florence, Italy?")],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-20250514",
                                 options={"max_tokens": 4096}, **settings))
    save(conv, path)


def test_send_streams_text_to_stdout_reasoning_to_stderr_and_writes_the_exchange(
        loopback, tmp_path):
    cassette = cassettes.load(recordings_or_skip() / THINKING)
    # The recording's first reply thinks and calls a tool; its second answers in text.
    first, second = (it.response_body for it in cassette.interactions[:2])
    loopback.queue(Reply.sse(first), Reply.sse(second))
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    anthropic_conversation(conv)

    result = composer("send", str(conv), "--base-url", loopback.url, "-o", "temperature", "1",
                      "-o", "top_k", "5", "--out", str(out),
                      env={"ANTHROPIC_API_KEY": "sk-ant-cli"})

    assert result.returncode == 0, result.stderr
    thinking = "".join(recorded_deltas(first, "thinking_delta", "thinking"))
    assert thinking.strip() and thinking in result.stderr and thinking not in result.stdout
    assert "\x1b[" not in result.stderr  # not a terminal: no ANSI dimming
    assert 'tool_call weather({"location": "Florence, Italy"})' in result.stdout
    # The request carried the key and the -o value as JSON (a number, not a string).
    sent = loopback.received[0]
    assert sent.headers["x-api-key"] == "sk-ant-cli" and sent.json["temperature"] == 1
    assert sent.json["top_k"] == 5  # not one of ours: sent as the provider's own field
    # The exchange is ours and importable, holds every part, and no key.
    exchange = load(out)
    kinds = {type(p) for p in exchange.messages[0].parts}
    assert kinds == {ReasoningPart, ToolCallPart}
    assert exchange.composer.status == 200 and exchange.composer.error is None
    assert exchange.composer.events and "sk-ant-cli" not in out.read_text()
    reopened = import_path(out).conversation
    assert reopened.messages[-1] == exchange.messages[0]

    text_out = tmp_path / "text.json"
    result = composer("send", str(conv), "--base-url", loopback.url, "--out", str(text_out),
                      env={"ANTHROPIC_API_KEY": "sk-ant-cli"})
    assert result.returncode == 0, result.stderr
    text = "".join(recorded_deltas(second, "text_delta", "text"))
    assert text.strip() and result.stdout == text.strip() + "\n"
    assert load(text_out).messages[0].plain_text == text


def test_send_failure_is_one_line_exit_1_and_the_partial_exchange_is_written(loopback,
                                                                             tmp_path):
    cassette = cassettes.load(recordings_or_skip() / THINKING)
    loopback.queue(Reply.sse(cassette.interactions[0].response_body, disconnect_after=6))
    conv, out = tmp_path / "conv.json", tmp_path / "partial.json"
    anthropic_conversation(conv, base_url=loopback.url)

    result = composer("send", str(conv), "--out", str(out))

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("llm-composer: error: connection to ")
    assert "Traceback" not in result.stderr
    exchange = load(out)
    assert exchange.composer.stop_reason == "error"
    assert exchange.composer.error.kind == "network"
    assert isinstance(exchange.messages[0].parts[0], ReasoningPart)


def test_send_http_error_line_names_status_type_and_request(loopback, tmp_path):
    loopback.queue(Reply.json({"type": "error", "error": {"type": "rate_limit_error",
                                                          "message": "Number of requests "
                                                                     "exceeds your limit"}},
                              status=429, headers={"request-id": "req_011CLI"}))
    conv, out = tmp_path / "conv.json", tmp_path / "failed.json"
    anthropic_conversation(conv, base_url=loopback.url)

    result = composer("send", str(conv), "--retries", "0", "--out", str(out))

    assert result.returncode == 1
    assert result.stderr.strip() == ("llm-composer: error: 429 rate_limit_error: Number of "
                                     "requests exceeds your limit (request req_011CLI)")
    assert result.stdout == ""
    assert load(out).composer.error.status == 429


def test_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = composer("send", str(bad))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"llm-composer: error: {bad}")
    good = tmp_path / "conv.json"
    anthropic_conversation(good)
    result = composer("send", str(good), "--provider", "nonesuch")
    assert result.returncode == 1
    assert result.stderr.startswith("llm-composer: error: unknown provider 'nonesuch'")


def test_ctrl_c_cancels_cleanly_with_exit_130_and_the_partial_written(tmp_path):
    conv, out = tmp_path / "conv.json", tmp_path / "partial.json"
    # The example at its recorded pace from its first event (at 0.42 s): that one comes at
    # once, the fourth part (the image) 1.28 s later.
    example = example_from(tmp_path / "example.json", 0.42)
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay", base_url=str(example),
                                               options={"speed": 1})), conv)
    err = tmp_path / "stderr.txt"
    proc = forked_cli.start(["send", str(conv), "--out", str(out)], env=dict(os.environ),
                            cwd=ROOT, stderr=err)
    try:
        assert "Planning" in forked_cli.wait_for(err, "Planning", proc)  # mid-stream: Ctrl-C
        os.kill(proc.pid, signal.SIGINT)
        proc.join(timeout=20)
    finally:
        proc.kill()
    stderr = err.read_text()
    assert proc.exitcode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    exchange = load(out)
    assert exchange.composer.stop_reason == "cancelled"
    assert isinstance(exchange.messages[0].parts[0], ReasoningPart)
    assert len(exchange.messages[0].parts) < 4


def test_models_lists_one_id_per_line(loopback):
    loopback.queue(Reply.json({"data": [{"id": "claude-sonnet-4-20250514"},
                                        {"id": "claude-haiku-4-5"}], "has_more": False}))
    result = composer("models", "--provider", "anthropic", "--base-url", loopback.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["claude-sonnet-4-20250514", "claude-haiku-4-5"]
    assert loopback.received[0].path.startswith("/v1/models")


def test_models_failure_is_one_line(loopback):
    loopback.queue(Reply.json({"error": {"type": "authentication_error",
                                         "message": "invalid x-api-key"}}, status=401))
    result = composer("models", "--provider", "anthropic", "--base-url", loopback.url)
    assert result.returncode == 1
    assert result.stderr.strip() == ("llm-composer: error: 401 authentication_error: "
                                     "invalid x-api-key")


def test_models_for_replay_names_the_example():
    result = composer("models", "--provider", "replay")
    assert result.returncode == 0
    assert result.stdout.strip() == load(EXAMPLE_EXCHANGE).model


SEND_ONE_PER_PROTOCOL = {
    "openai-chat": "TestOpenAICommon/openai-gpt-4o/tool_streaming.yaml",
    "openai-responses":
        "TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/thinking-streaming.yaml",
    "anthropic": "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml",
    "gemini": "TestGoogleThinking/gemini-2.5-flash/thinking-streaming.yaml",
}


@pytest.mark.parametrize("protocol", sorted(SEND_ONE_PER_PROTOCOL))
def test_send_replays_a_recording_of_each_protocol(protocol, loopback, tmp_path):
    """The recorded request, imported, is sent to the loopback server replaying the recorded
    reply: what the CLI prints is the text it assembled, and the exchange reads back."""
    path = recordings_or_skip() / SEND_ONE_PER_PROTOCOL[protocol]
    if not path.exists():
        pytest.skip(f"{path} is not among the recordings")
    last = cassettes.load(path).interactions[-1]  # a tool loop's last reply is text
    imported = import_data(last.request_json, protocol)
    conversation = imported.conversation
    if protocol == "gemini":  # Gemini names the model in the URL, not the body
        conversation.settings.model = last.url.split("/models/")[1].split(":")[0]
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    save(conversation, conv)
    loopback.queue(Reply.sse(last.response_body))
    base = loopback.url + ("" if protocol in ("anthropic", "gemini") else "/v1")

    result = composer("send", str(conv), "--provider", protocol, "--base-url", base,
                      "--out", str(out), env={"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k",
                                              "GEMINI_API_KEY": "k"})

    assert result.returncode == 0, result.stderr
    exchange = load(out)
    text = "".join(p.text for p in exchange.messages[0].parts if p.type == "text")
    assert text and text in result.stdout
    assert exchange.composer.protocol == protocol and exchange.composer.stop_reason
    assert import_path(out).conversation.messages[-1] == exchange.messages[0]


@pytest.mark.parametrize(("option", "line"), [
    (["temperature", "9"], "temperature: 9 is out of range (0..2)"),
    (["max_tokens", "lots"], "max_tokens: 'lots' is not a whole number"),
    (["stop", '["a", 1]'], "stop: every stop sequence must be a string"),
])
def test_send_refuses_a_bad_option_with_the_windows_line(option, line, tmp_path, capsys):
    # In-process: the check happens before anything is sent, so no server is needed.
    from composer.main import main

    conv = tmp_path / "conv.json"
    save(Conversation(messages=[Message.text("user", "hi")]), conv)
    out = tmp_path / "exchange.json"
    assert main(["send", str(conv), "-o", *option, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"llm-composer: error: {line}\n"
    assert captured.out == "" and not out.exists()


def test_send_o_speed_0_replays_at_full_speed(tmp_path, capsys):
    """``speed`` is the replay's own field: ``-o speed 0`` does not wait out the recorded 1.75 s
    of the bundled example, and ``-o speed 5`` waits a fifth of it (an option left unread would
    wait all of it both times)."""
    from composer.main import main

    conv = tmp_path / "conv.json"
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay")), conv)
    took = {}
    for speed in ("0", "5"):
        out = tmp_path / f"exchange-{speed}.json"
        assert main(["send", str(conv), "-o", "speed", speed, "--out", str(out)]) == 0
        took[speed] = load(out).composer.timing.total_ms
    assert took["0"] < 250 < took["5"] < 1200, took


def test_send_reads_a_good_option_into_the_exchange(tmp_path, capsys):
    from composer.main import main

    conv = tmp_path / "conv.json"
    # The bundled replay, at full speed rather than its recorded 1.75 s.
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay", options={"speed": 0})), conv)
    out = tmp_path / "exchange.json"
    assert main(["send", str(conv), "-o", "temperature", "0.5", "-o", "stop", "END",
                 "-o", "top_k", "40", "--out", str(out)]) == 0
    settings = load(out).composer.settings
    assert settings.options == {"speed": 0, "temperature": 0.5, "stop": ["END"]}
    assert settings.extra_body == {"top_k": 40}
