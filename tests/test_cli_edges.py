"""The command line's edges, as a user meets them: output cut off by ``| head``, a stream that
breaks mid-way with text that is not valid Unicode, and Ctrl-C during start-up. Real
subprocesses where the process is the point (a pipe that closes, a signal), the others
in-process (tests/cli_run.py); a real loopback server."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from tests.cli_run import run_cli
from tests.conftest import ROOT
from tests.loopback import Reply
from tests.replay_example import example_from

SIGPIPE_STATUS = 141


def _replay_conversation(path, speed: float = 1, start: float = 0.0) -> None:
    """A conversation replaying the bundled example; from ``start`` s into it, when given."""
    example = str(example_from(path.with_name("example.json"), start)) if start else None
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay", base_url=example,
                                               options={"speed": speed})),
         path)


# The example from its first text on, at its recorded pace: stdout's first bytes come at once,
# and its last line (the tool call) 0.35 s later, time enough for ``head`` to close the pipe.
FIRST_TEXT_S = 1.1


def _head(args: list[str], first_bytes: int = 8) -> tuple[int, str]:
    """``llm-composer ARGS | head -c N``: read N bytes of stdout, then close the pipe."""
    proc = subprocess.Popen([sys.executable, "-m", "composer", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdout.read(first_bytes)
        proc.stdout.close()
        stderr = proc.stderr.read().decode("utf-8", "replace")
        proc.wait(timeout=30)
    finally:
        proc.kill()
    return proc.returncode, stderr


def test_send_into_head_exits_quietly_and_still_writes_the_whole_exchange(tmp_path):
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    _replay_conversation(conv, start=FIRST_TEXT_S)
    status, stderr = _head(["send", str(conv), "--out", str(out)])
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert status == SIGPIPE_STATUS
    exchange = load(out)
    assert exchange.composer.stop_reason not in ("cancelled", "error")  # the reply is whole
    assert len(exchange.messages[0].parts) >= 4


def test_send_into_head_without_out_stops_the_request(tmp_path):
    conv = tmp_path / "conv.json"
    _replay_conversation(conv, start=FIRST_TEXT_S)
    status, stderr = _head(["send", str(conv)])
    assert status == SIGPIPE_STATUS
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def _chat_chunk(content: str) -> str:
    # Written with \\u escapes, as a server that splits an emoji's UTF-16 pair would.
    delta = json.dumps({"choices": [{"index": 0, "delta": {"content": content}}]})
    return f"data: {delta}\n\n"


def test_a_stream_with_split_surrogates_that_breaks_midway_still_writes_out(loopback,
                                                                            tmp_path):
    body = (_chat_chunk("smile ") + _chat_chunk("\ud83d") + _chat_chunk("\ude00 and ")
            + _chat_chunk("\ud800 lone") + _chat_chunk(" more"))
    loopback.queue(Reply.sse(body, disconnect_after=4))
    conv, out = tmp_path / "conv.json", tmp_path / "partial.json"
    save(Conversation(messages=[Message.text("user", "hi")]), conv)
    result = run_cli("send", str(conv), "--provider", "openai-chat", "--base-url", loopback.url,
                     "--model", "m", "--retries", "0", "--out", str(out),
                     env={**os.environ, "OPENAI_API_KEY": "sk-test-not-a-key"})
    stderr = result.stderr
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.count("llm-composer: error:") == 1
    exchange = load(out)
    assert exchange.composer.stop_reason == "error"
    text = exchange.messages[0].parts[0].text
    assert text.startswith("smile \U0001f600 and ") and "\ud800" not in text


# Deliver a real SIGINT the moment MODULE is first imported: Ctrl-C at that point of start-up.
SIGINT_AT = """
import importlib.abc, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
target = sys.argv[1]
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target_=None):
        if name == target:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
from composer.main import main
raise SystemExit(main(sys.argv[2:]))
"""


NEEDS_QT = pytest.mark.skipif(importlib.util.find_spec("PySide6") is None,
                              reason="the window needs PySide6 (CI's Qt-free core run)")


@pytest.mark.parametrize("module, args", [
    ("httpx", ["send", "FILE"]),  # the parser imports the verb's module, send's brings httpx
    ("composer.cli.convert", ["convert", "FILE", "--to", "markdown"]),
    ("pydantic", ["models", "--provider", "replay"]),
    pytest.param("PySide6.QtWidgets", ["open", "FILE"], marks=NEEDS_QT),  # the window's start
    pytest.param("composer.views.window", [], marks=NEEDS_QT),  # no verb: the window
])
def test_ctrl_c_during_start_up_is_status_130_without_a_traceback(tmp_path, module, args):
    conv = tmp_path / "conv.json"
    _replay_conversation(conv)
    argv = [str(conv) if a == "FILE" else a for a in args]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "d")}
    result = subprocess.run([sys.executable, "-c", SIGINT_AT, module, *argv], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("llm-composer: interrupted")


def test_send_of_a_file_holding_a_lone_surrogate_writes_out_and_says_so(tmp_path):
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    _replay_conversation(conv, speed=0)
    conv.write_text(conv.read_text(encoding="utf-8").replace('"hi"', '"hi \\ud800 there"'),
                    encoding="utf-8")
    result = run_cli("send", str(conv), "--out", str(out))
    stderr = result.stderr
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "\ud800" not in json.dumps(load(out).to_dict(), ensure_ascii=False)
