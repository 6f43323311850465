"""Canary keys for every provider through everything that writes or prints: the conversation
file, every export format, the exchange file after a 401 whose body echoes the key, the error
line, ``send``'s stdout, stderr and ``--out``, the request's redacted and curl forms, and a
307 to a second loopback server. Zero occurrences anywhere (tests/canary.py counts the places).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from composer.main import main
from composer.models.conversation import Conversation
from composer.models.files import dumps, save
from composer.models.formats import export, exporters
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.keys import find_key
from composer.providers.transport import Call, describe_error, run_call
from tests.canary import KEYED, TOTALS, Checker, plant
from tests.loopback import LoopbackServer, Reply

SOURCES = ["env", "llm"]


@pytest.fixture
def elsewhere():
    server = LoopbackServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(f"\ncanary keys: {TOTALS['places']} places checked, {TOTALS['hits']} hits")


def _echo_401(key: str) -> Reply:
    """What a careless server does: the key it got, quoted back in its error."""
    return Reply.json({"error": {"message": f"Incorrect API key provided: {key}",
                                 "type": "invalid_request_error", "code": 401}}, status=401,
                      headers={"request-id": "req_canary"})


def _conversation(preset: str, base_url: str) -> Conversation:
    return Conversation(messages=[Message.text("system", "be brief"), Message.text("user", "hi")],
                        settings=RequestSettings(provider=preset, model="m", base_url=base_url,
                                                 options={"max_tokens": 16},
                                                 headers={"X-Title": "canary test"}))


def _received(checker: Checker, place: str, server: LoopbackServer) -> None:
    for i, r in enumerate(server.received):
        checker.text(f"{place} request {i}", f"{r.path}\n{r.headers}\n{r.body!r}")


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("preset", [p.name for p in KEYED])
async def test_a_key_in_use_reaches_no_file_export_error_or_curl(
        preset, source, loopback, tmp_path, monkeypatch, _isolated_user_dirs):
    keys = plant(monkeypatch, Path(os.environ["LLM_USER_PATH"]), source)
    key = keys[preset]
    found = find_key(preset)
    assert found.key == key  # the canary is really the key in use, so these checks can fail
    checker = Checker(list(keys.values()))
    conversation = _conversation(preset, loopback.url + "/v1")
    call = Call(conversation, api_key=found.key)
    assert key in json.dumps(call.request.headers)  # it is sent...

    checker.text("FoundKey repr", repr(found))
    checker.text("redacted request", repr(call.request.redacted()))
    checker.text("curl", call.request.curl(resolve_env(preset)))
    loopback.queue(_echo_401(key))
    exchange = await run_call(call)
    assert exchange.composer.error.status == 401
    checker.text("error line", describe_error(exchange.composer.error))
    checker.text("exchange JSON", dumps(exchange))
    save(exchange, tmp_path / "exchange.json")
    save(conversation, tmp_path / "conversation.json")
    checker.text("exchange as conversation", dumps(exchange.conversation()))
    for fmt in exporters():
        checker.text(f"export {fmt.name}", export(conversation, fmt.name).text)
        checker.text(f"export {fmt.name} of the exchange",
                     export(exchange.conversation(), fmt.name).text)
    assert checker.tree("tmp", tmp_path) == 2
    checker.tree("user dir", _isolated_user_dirs)
    checker.assert_clean()


def resolve_env(preset: str) -> str:
    from composer.providers.presets import resolve

    return resolve(preset).key_env[0]


@pytest.mark.parametrize("preset", [p.name for p in KEYED])
def test_send_prints_and_writes_no_key_on_a_401_or_a_reply(preset, loopback, tmp_path,
                                                           monkeypatch, capsys,
                                                           _isolated_user_dirs):
    keys = plant(monkeypatch, Path(os.environ["LLM_USER_PATH"]), "env")
    checker = Checker(list(keys.values()))
    path = tmp_path / "conversation.json"
    save(_conversation(preset, "http://unused.invalid/v1"), path)
    loopback.queue(_echo_401(keys[preset]))
    out = tmp_path / "failed.json"
    assert main(["send", str(path), "--base-url", loopback.url + "/v1",
                 "--out", str(out)]) == 1
    stdout, stderr = capsys.readouterr()
    assert "401" in stderr and "<your key>" in stderr
    checker.text("send stdout (401)", stdout)
    checker.text("send stderr (401)", stderr)
    # The file's own base URL: refused before sending, and the refusal names no key.
    save(_conversation(preset, loopback.url + "/v1"), path)
    assert main(["send", str(path), "--out", str(out)]) == 1
    stdout, stderr = capsys.readouterr()
    assert "--trust-base-url" in stderr
    checker.text("send stdout (file's base URL)", stdout)
    checker.text("send stderr (file's base URL)", stderr)
    assert len(loopback.received) == 1
    assert checker.tree("tmp", tmp_path) == 2
    checker.tree("user dir", _isolated_user_dirs)
    checker.assert_clean()


@pytest.mark.parametrize("preset", [p.name for p in KEYED])
async def test_a_307_to_another_port_receives_no_key(preset, loopback, elsewhere, tmp_path,
                                                     monkeypatch):
    keys = plant(monkeypatch, tmp_path, "env")
    checker = Checker(list(keys.values()))
    loopback.queue(Reply(status=307, headers={"Location": f"{elsewhere.url}/v1/steal"}))
    elsewhere.queue(_echo_401("nothing"))
    exchange = await run_call(Call(_conversation(preset, loopback.url + "/v1"),
                                   api_key=find_key(preset).key))
    assert len(loopback.received) == 1 and exchange.composer.error.kind == "refused"
    _received(checker, "the redirect's target", elsewhere)
    checker.text("redirect error", describe_error(exchange.composer.error))
    checker.text("redirect exchange", dumps(exchange))
    checker.assert_clean()
