"""A key never follows a redirect to another origin: two real loopback servers on different
ports, the first answering 307 to the second, for every way a protocol sends its key, with the
transport's own client and with the window's (which follows redirects)."""

from __future__ import annotations

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.base import RequestRefused
from composer.providers.http import new_client
from composer.providers.transport import Call, CallFailed, list_models, run_call
from tests.loopback import LoopbackServer, Reply

KEY = "sk-redirect-canary-1f2e3d"
CHAT_REPLY = ('data: {"choices": [{"index": 0, "delta": {"content": "hello"}}]}\n\n'
              'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
              "data: [DONE]\n\n")
# provider, the base URL's path, the header the key travels in
PROVIDERS = [("openai-chat", "/v1", "authorization"), ("openai", "/v1", "authorization"),
             ("anthropic", "", "x-api-key"), ("gemini", "", "x-goog-api-key")]


@pytest.fixture
def elsewhere():
    server = LoopbackServer().start()
    yield server
    server.stop()


def _conversation(provider: str, base_url: str) -> Conversation:
    return Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider=provider, model="m", base_url=base_url,
                                                 options={"max_tokens": 16}))


def _saw_key(server: LoopbackServer) -> bool:
    return any(KEY in f"{r.path} {r.headers} {r.body!r}" for r in server.received)


@pytest.mark.parametrize("follows", [False, True], ids=["own-client", "window-client"])
@pytest.mark.parametrize(("provider", "path", "header"), PROVIDERS)
async def test_a_key_does_not_follow_a_307_to_another_port(loopback, elsewhere, provider, path,
                                                           header, follows):
    loopback.queue(Reply(status=307, headers={"Location": f"{elsewhere.url}/stolen"}))
    elsewhere.queue(Reply.sse(CHAT_REPLY))
    async with new_client(follow_redirects=follows) as client:
        call = Call(_conversation(provider, loopback.url + path), api_key=KEY, client=client)
        exchange = await run_call(call)
    sent = {k.lower(): v for k, v in loopback.received[0].headers.items()}
    assert sent[header].endswith(KEY)  # sent where it was configured to go
    assert elsewhere.received == [] and not _saw_key(elsewhere)
    error = exchange.composer.error
    assert error is not None and error.kind == "refused" and error.status == 307
    assert elsewhere.url in error.message and "key was not sent" in error.message
    assert KEY not in error.message


async def test_a_redirect_within_the_same_origin_keeps_the_key(loopback):
    loopback.queue(Reply(status=307, headers={"Location": "/v2/chat/completions"}),
                   Reply.sse(CHAT_REPLY))
    call = Call(_conversation("openai-chat", loopback.url + "/v1"), api_key=KEY)
    exchange = await run_call(call)
    assert exchange.composer.error is None
    assert exchange.messages[0].parts[0].text == "hello"
    second = loopback.received[1]
    assert second.path == "/v2/chat/completions"
    assert second.headers["Authorization"] == f"Bearer {KEY}"


async def test_a_keyless_call_follows_a_redirect_to_another_origin(loopback, elsewhere):
    loopback.queue(Reply(status=308, headers={"Location": f"{elsewhere.url}/v1/chat/completions"}))
    elsewhere.queue(Reply.sse(CHAT_REPLY))
    exchange = await run_call(Call(_conversation("ollama", loopback.url + "/v1")))
    assert exchange.composer.error is None and exchange.messages[0].parts[0].text == "hello"
    assert len(elsewhere.received) == 1


async def test_a_redirect_loop_ends_in_one_line(loopback):
    loopback.queue(*[Reply(status=307, headers={"Location": "/v1/chat/completions"})] * 8)
    exchange = await run_call(Call(_conversation("openai-chat", loopback.url + "/v1"),
                                   api_key=KEY))
    assert "redirects" in exchange.composer.error.message


@pytest.mark.parametrize("follows", [False, True], ids=["own-client", "window-client"])
async def test_the_model_list_does_not_follow_a_redirect_elsewhere_with_the_key(
        loopback, elsewhere, follows):
    loopback.queue(Reply(status=302, headers={"Location": f"{elsewhere.url}/models"}))
    elsewhere.queue(Reply.json({"data": [{"id": "m"}]}))
    async with new_client(follow_redirects=follows) as client:
        with pytest.raises(CallFailed, match="key was not sent") as caught:
            await list_models("anthropic", base_url=loopback.url, api_key=KEY, client=client)
    assert elsewhere.received == [] and KEY not in str(caught.value)


def test_a_call_to_a_non_http_url_is_still_refused_before_sending():
    with pytest.raises(RequestRefused, match="not an http"):
        Call(_conversation("openai-chat", "file:///etc/passwd"), api_key=KEY)


def test_send_on_the_command_line_does_not_follow_a_redirect_elsewhere_with_the_key(
        loopback, elsewhere, tmp_path, monkeypatch, capsys):
    from composer.main import main
    from composer.models.files import save

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    path = tmp_path / "c.json"
    save(_conversation("anthropic", "http://unused.invalid"), path)
    loopback.queue(Reply(status=307, headers={"Location": f"{elsewhere.url}/v1/messages"}))
    elsewhere.queue(Reply.sse(CHAT_REPLY))
    assert main(["send", str(path), "--base-url", loopback.url, "--out",
                 str(tmp_path / "x.json")]) == 1
    out, err = capsys.readouterr()
    assert elsewhere.received == [] and len(loopback.received) == 1
    assert "307" in err and "key was not sent" in err and err.count("\n") == 1
    assert KEY not in out + err + (tmp_path / "x.json").read_text()
