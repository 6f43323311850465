"""``send`` applies the cache checks: a request the API would refuse is not sent, a breakpoint
that will not cache is a note on stderr, and the breakpoints reach the wire."""

from __future__ import annotations

from composer.models.caching import with_breakpoint
from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import Reply

LONG = "The quick brown fox jumps over the lazy dog. " * 200
SIMPLE = "TestAnthropicCommonWithCacheControl/claude-sonnet-4/simple_streaming.yaml"


def _row(role: str, text: str, ttl: str | None) -> Message:
    message = Message.text(role, text)  # type: ignore[arg-type]
    return message.model_copy(update={"parts": [with_breakpoint(message.parts[0], ttl)]})


def _save(path, rows: list[Message], base_url: str | None = None) -> None:
    save(Conversation(messages=rows, settings=RequestSettings(
        provider="anthropic", model="claude-sonnet-4-20250514", base_url=base_url)), path)


def test_send_refuses_five_breakpoints_before_sending(tmp_path, capsys, monkeypatch):
    from composer.main import main

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    _save(conv, [_row("user" if i % 2 == 0 else "assistant", f"{i} {LONG}", "5m")
                 for i in range(5)])
    assert main(["send", str(conv), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == ("llm-composer: error: row 5, part 1: cache breakpoint 5 of 5: "
                   "Anthropic takes at most 4; remove 1\n")
    assert not out.exists()


def test_send_notes_a_breakpoint_too_short_to_cache_and_sends_it(loopback, tmp_path, capsys,
                                                                  monkeypatch):
    from composer.main import main

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    reply = cassettes.load(recordings_or_skip() / SIMPLE).interactions[0].response_body
    loopback.queue(Reply.sse(reply))
    conv = tmp_path / "conv.json"
    _save(conv, [_row("system", "Be brief.", "1h"), _row("user", "Say hi", None)],
          base_url=loopback.url)
    assert main(["send", str(conv), "--trust-base-url"]) == 0
    err = capsys.readouterr().err
    assert "note: row 1, part 1: about 2 tokens up to this cache breakpoint" in err
    assert "silently skipped" in err
    sent = loopback.received[0].json
    assert sent["system"] == [{"type": "text", "text": "Be brief.",
                               "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
