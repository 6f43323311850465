"""A file's base URL never receives the user's key without the user's say-so: the rule
(composer/providers/trust.py), the remembered hosts, where settings came from
(composer/models/provenance.py), ``send`` in-process against the loopback server, and a key in
the base URL's query string never written to a file."""

from __future__ import annotations

import json

import pytest

from composer import paths
from composer.main import main
from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.files import dumps, load, save
from composer.models.formats import export, exporters
from composer.models.parts import Message
from composer.models.provenance import SettingsProvenance
from composer.models.settings import RequestSettings
from composer.providers.presets import resolve
from composer.providers.trust import (
    FILE_NAME,
    KeyTarget,
    TrustedHosts,
    origin,
    unconfirmed_key_target,
)
from tests.loopback import Reply

KEY = "sk-trust-canary-77aa"
CHAT_REPLY = ('data: {"choices": [{"index": 0, "delta": {"content": "hello"}}]}\n\n'
              'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
              "data: [DONE]\n\n")


def _conversation(**settings) -> Conversation:
    return Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(model="m", **settings))


# -- the rule ----------------------------------------------------------------------------------

def test_origins_are_normalized_so_a_path_or_default_port_does_not_matter():
    assert origin("https://API.openai.com:443/v1/") == origin("https://api.openai.com") \
        == "https://api.openai.com"
    assert origin("http://api.openai.com/v1") != origin("https://api.openai.com/v1")
    assert origin("https://api.openai.com@evil.example/v1") == "https://evil.example"
    assert origin("file:///etc/passwd") is None and origin("") is None


@pytest.mark.parametrize(("base_url", "chosen", "key", "gated"), [
    ("http://elsewhere/v1", False, KEY, True),  # the file's host, the user's key
    ("http://elsewhere/v1", True, KEY, False),  # typed or --base-url: the user's choice
    ("http://elsewhere/v1", False, None, False),  # keyless calls are not held back
    ("https://api.openai.com/v1/", False, KEY, False),  # the preset's own server
    ("https://api.openai.com:8443/v1", False, KEY, True),  # another port is another origin
    ("http://api.openai.com/v1", False, KEY, True),  # plain http is another origin
    (None, False, KEY, False),  # no base URL: the preset's own
])
def test_the_rule_holds_a_key_back_only_from_an_origin_the_user_did_not_choose(
        base_url, chosen, key, gated):
    target = unconfirmed_key_target(resolve("openai"), base_url, key, chosen=chosen)
    assert (target is not None) == gated
    if gated:
        assert target.provider == "OpenAI (Responses)" and target.home == "https://api.openai.com"
        assert target.origin in target.question() and KEY not in target.question()


def test_a_custom_preset_has_no_home_so_any_file_base_url_needs_consent():
    target = unconfirmed_key_target(resolve("custom"), "http://x:1/v1", KEY, chosen=False)
    assert target == KeyTarget("custom", resolve("custom").title, "http://x:1", None)


def test_confirmed_hosts_are_remembered_per_key_in_the_user_dir(tmp_path):
    trusted = TrustedHosts.load(tmp_path)
    target = unconfirmed_key_target(resolve("openai"), "http://h:9/v1", KEY, chosen=False,
                                    trusted=trusted)
    trusted.allow(target, remember=False)  # this session only
    assert unconfirmed_key_target(resolve("openai-chat"), "http://h:9/x", KEY, chosen=False,
                                  trusted=trusted) is None  # the same OpenAI key
    assert not (tmp_path / FILE_NAME).exists()
    assert TrustedHosts.load(tmp_path).allows("openai", "http://h:9") is False
    trusted.allow(target, remember=True)
    again = TrustedHosts.load(tmp_path)
    assert again.allows("openai", "http://h:9") and not again.allows("anthropic", "http://h:9")
    assert unconfirmed_key_target(resolve("anthropic"), "http://h:9", KEY, chosen=False,
                                  trusted=again) is not None
    assert KEY not in (tmp_path / FILE_NAME).read_text()


def test_an_unreadable_store_means_nothing_is_remembered(tmp_path):
    (tmp_path / FILE_NAME).write_text('{"hosts": {"openai": "http://h"}} junk')
    assert TrustedHosts.load(tmp_path).remembered == {}
    (tmp_path / FILE_NAME).write_text('{"hosts": {"openai": ["http://h", 3]}}')
    assert TrustedHosts.load(tmp_path).remembered == {"openai": {"http://h"}}


# -- where settings came from ------------------------------------------------------------------

def test_loaded_settings_are_from_the_file_until_changed_in_the_window():
    doc = Document(_conversation(provider="openai", base_url="http://elsewhere/v1",
                                 headers={"X-A": "1"}))
    prov = SettingsProvenance(doc)
    assert prov.from_file == {"provider", "base_url", "headers"} and not prov.base_url_chosen
    doc.set_settings(doc.conversation.settings.model_copy(update={"model": "other"}))
    assert not prov.base_url_chosen  # editing the model does not make the URL the user's
    doc.set_settings(doc.conversation.settings.model_copy(update={"base_url": "http://mine/v1"}))
    assert prov.base_url_chosen and prov.labels() == ["provider", "extra headers"]


def test_a_new_document_keeps_the_users_choice_but_an_opened_file_brings_its_own():
    doc = Document(_conversation())
    prov = SettingsProvenance(doc)
    assert prov.from_file == set()
    doc.set_settings(doc.conversation.settings.model_copy(
        update={"provider": "custom", "base_url": "http://mine/v1"}))
    settings = doc.conversation.settings
    from composer.models.document import ReplaceAll

    doc.apply(ReplaceAll(Conversation(messages=[], settings=settings)))  # New keeps settings
    assert prov.base_url_chosen and prov.from_file == set()
    doc.apply(ReplaceAll(_conversation(provider="custom", base_url="http://theirs/v1")))
    assert not prov.base_url_chosen
    # The same URL under another provider's key is not the user's choice for that key.
    doc.set_settings(doc.conversation.settings.model_copy(update={"base_url": "http://mine/v1"}))
    doc.apply(ReplaceAll(_conversation(provider="openai", base_url="http://mine/v1")))
    assert not prov.base_url_chosen


# -- send FILE ---------------------------------------------------------------------------------

def _file(tmp_path, url: str, **settings) -> str:
    path = tmp_path / "shared.json"
    save(_conversation(provider="openai-chat", base_url=url, **settings), path)
    return str(path)


def test_send_does_not_spend_the_key_on_the_files_base_url(loopback, tmp_path, monkeypatch,
                                                            capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    path = _file(tmp_path, loopback.url + "/v1")
    assert main(["send", path]) == 1
    out, err = capsys.readouterr()
    assert loopback.received == []
    assert "not sending your OpenAI (Chat Completions) API key to " + loopback.url in err
    assert "--trust-base-url" in err and err.count("\n") == 1 and KEY not in out + err


@pytest.mark.parametrize("how", ["--trust-base-url", "--base-url", "remembered"])
def test_send_spends_the_key_there_on_the_users_say_so(loopback, tmp_path, monkeypatch, capsys,
                                                       how):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    loopback.queue(Reply.sse(CHAT_REPLY))
    path = _file(tmp_path, loopback.url + "/v1")
    args = ["send", path]
    if how == "remembered":
        TrustedHosts.load(paths.user_dir()).allow(  # the folder `send` reads
            KeyTarget("openai", "", loopback.url, None), remember=True)
    else:
        args += [how] if how == "--trust-base-url" else [how, loopback.url + "/v1"]
    assert main(args) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "hello\n"
    assert loopback.received[0].headers["Authorization"] == f"Bearer {KEY}"


def test_send_without_a_key_goes_to_the_files_base_url(loopback, tmp_path, capsys):
    loopback.queue(Reply.sse(CHAT_REPLY))
    assert main(["send", _file(tmp_path, loopback.url + "/v1")]) == 0
    assert capsys.readouterr().out == "hello\n" and len(loopback.received) == 1


# -- a key in the base URL's query string -------------------------------------------------------

SECRET_URL = "https://gw.example/v1?api-key=QUERYSECRET&deployment=d1&key=QS2"


def test_a_key_in_the_base_url_is_never_saved_but_is_used_for_sending(tmp_path):
    conv = _conversation(provider="custom", base_url=SECRET_URL)
    assert conv.settings.base_url_secrets == ["api-key", "key"]
    save(conv, tmp_path / "c.json")
    text = (tmp_path / "c.json").read_text()
    assert "QUERYSECRET" not in text and "QS2" not in text
    assert load(tmp_path / "c.json").settings.base_url == "https://gw.example/v1?deployment=d1"
    assert "QUERYSECRET" in conv.settings.base_url  # the one in memory still sends
    user_info = _conversation(provider="custom", base_url="https://me:PASSWORD@gw.example/v1")
    assert "PASSWORD" not in dumps(user_info)


@pytest.mark.parametrize("fmt", [f.name for f in exporters()])
def test_no_export_carries_a_key_from_the_base_url(fmt):
    exported = export(_conversation(provider="custom", base_url=SECRET_URL), fmt)
    assert "QUERYSECRET" not in exported.text and "QS2" not in exported.text


def test_send_says_the_key_in_the_base_url_is_not_written_to_out(loopback, tmp_path, capsys):
    loopback.queue(Reply.sse(CHAT_REPLY))
    out = tmp_path / "x.json"
    url = loopback.url + "/v1?api-key=QUERYSECRET"
    assert main(["send", _file(tmp_path, "http://unused/v1"), "--base-url", url,
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "api-key is used for sending but not written to" in err
    assert "api-key=QUERYSECRET" in loopback.received[0].path  # it was sent
    assert "QUERYSECRET" not in out.read_text() and "QUERYSECRET" not in err
    assert json.loads(out.read_text())["composer"]["settings"]["base_url"] == loopback.url + "/v1"
