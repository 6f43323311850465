"""The run layer (composer/run): one way to prepare a call for every protocol, the one rule for
when a key is looked up and sent, the trust question and the linked-file refusal it raises, and
the record of a conversation's runs. Pure: no Qt, no network (a Call is built, not run)."""

from __future__ import annotations

import pytest

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange
from composer.models.parts import AttachmentPart, Message, TextPart, ToolCallPart
from composer.models.settings import RequestSettings
from composer.providers.base import RequestRefused
from composer.providers.keys import FoundKey
from composer.providers.presets import PRESETS, Preset, needs_key, resolve
from composer.providers.trust import TrustedHosts
from composer.run import PREVIEW_KEY, RunRecord, RunState, prepare_call, preview_call

KEY = "sk-run-layer-canary-31"


class KeyStore:
    """A key store holding one key (or none) for every preset, recording who asked."""

    def __init__(self, key: str | None = KEY, problems: list[str] | None = None):
        self.key = key
        self.problems = problems or []
        self.asked: list[str] = []

    def __call__(self, preset: Preset) -> FoundKey:
        self.asked.append(preset.name)
        return FoundKey(self.key, "test" if self.key else None, list(self.problems))


def _conversation(provider: str, base_url: str | None = None, **extra) -> Conversation:
    return Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider=provider, model="m",
                                                 base_url=base_url, **extra))


def _sends_key(request) -> bool:
    return KEY in request.url or any(KEY in v for v in request.headers.values())


# -- one preparation for every protocol ---------------------------------------------------------

@pytest.mark.parametrize(("provider", "path"), [
    ("openai", "/v1/responses"),
    ("openai-chat", "/v1/chat/completions"),
    ("anthropic", "/v1/messages"),
    ("gemini", ":streamGenerateContent"),
])
def test_a_hosted_call_is_prepared_with_the_stores_key_for_its_own_server(provider, path):
    store = KeyStore()
    prepared = prepare_call(_conversation(provider), key_store=store)
    request = prepared.call.request
    assert path in request.url and request.body is not None
    assert _sends_key(request)
    assert store.asked == [provider]
    assert prepared.key_target is None and prepared.notes == []
    assert prepared.key_env == resolve(provider).key_env[0]
    assert prepared.title == f"{resolve(provider).title} · m"


def test_a_replay_is_prepared_without_asking_the_key_store():
    store = KeyStore()
    prepared = prepare_call(_conversation("replay"), key_store=store)
    assert prepared.call.request.method == "REPLAY"
    assert store.asked == [] and prepared.key_env is None


# -- the one key rule ----------------------------------------------------------------------------

def test_the_key_rule_covers_every_preset():
    wanted = {p.name for p in PRESETS if needs_key(p)}
    assert wanted == {"openai", "openai-chat", "anthropic", "gemini", "openrouter", "groq",
                      "deepseek", "mistral", "xai"}


@pytest.mark.parametrize(("provider", "base_url"), [
    ("ollama", None), ("lmstudio", None), ("custom", "http://127.0.0.1:8000/v1"),
])
def test_a_local_or_custom_server_never_gets_a_key(provider, base_url):
    store = KeyStore()
    prepared = prepare_call(_conversation(provider, base_url), key_store=store)
    assert store.asked == [] and not _sends_key(prepared.call.request)
    assert prepared.notes == []


def test_no_key_for_a_hosted_providers_own_server_is_refused_at_the_key_field():
    with pytest.raises(RequestRefused) as caught:
        prepare_call(_conversation("groq"), key_store=KeyStore(None, ["keychain locked"]))
    assert caught.value.field_name == "API key" and "GROQ_API_KEY" in str(caught.value)


def test_no_key_for_a_proxy_sends_without_one_and_says_so():
    prepared = prepare_call(_conversation("openai-chat", "http://127.0.0.1:9/v1"),
                            key_store=KeyStore(None, ["keychain locked"]))
    assert "Authorization" not in prepared.call.request.headers
    assert any("no API key for OpenAI" in n for n in prepared.notes)
    assert prepared.key_problems == ["keychain locked"]  # the lookups that failed, for send


def test_key_store_problems_are_not_reported_when_a_key_was_found():
    prepared = prepare_call(_conversation("anthropic"), key_store=KeyStore(KEY, ["locked"]))
    assert prepared.key_problems == []


def test_a_preview_stands_in_for_a_missing_key_and_notes_it():
    prepared, notes = preview_call(_conversation("anthropic"), key_store=KeyStore(None))
    assert prepared is not None
    assert prepared.call.request.headers["x-api-key"] == PREVIEW_KEY
    assert notes[0].startswith("no API key for Anthropic")


def test_a_preview_that_cannot_be_built_keeps_the_missing_key_note():
    conv = _conversation("anthropic", "ftp://example.com")
    prepared, notes = preview_call(conv, key_store=KeyStore(None))
    assert prepared is None
    assert notes[0].startswith("no API key for Anthropic") and "not an http(s) URL" in notes[1]


# -- trust, linked files, unknown providers --------------------------------------------------------

def test_a_key_bound_for_the_files_host_is_a_trust_question(tmp_path):
    conv = _conversation("openai-chat", "http://evil.example/v1")
    target = prepare_call(conv, key_store=KeyStore()).key_target
    assert target is not None and target.origin == "http://evil.example"
    assert prepare_call(conv, key_store=KeyStore(), chosen=True).key_target is None
    trusted = TrustedHosts.load(tmp_path)
    trusted.allow(target, remember=False)
    assert prepare_call(conv, key_store=KeyStore(), trusted=trusted).key_target is None
    assert prepare_call(conv, key_store=KeyStore(None)).key_target is None  # no key, no risk
    assert preview_call(conv, key_store=KeyStore())[0].key_target is None


def test_a_linked_attachment_not_read_refuses_the_call_at_its_row():
    conv = _conversation("openai-chat", "http://127.0.0.1:9/v1")
    conv.messages.append(Message(role="user", parts=[
        AttachmentPart(attachment=Attachment(type="text/plain", path="/etc/passwd"))]))
    with pytest.raises(RequestRefused, match="is linked, not loaded") as caught:
        prepare_call(conv, key_store=KeyStore())
    assert caught.value.message_index == 1
    assert "is linked, not loaded" in preview_call(conv, key_store=KeyStore())[1][-1]


def test_an_unknown_provider_is_one_line_naming_the_choices():
    with pytest.raises(RequestRefused, match=r"^unknown provider 'acme'.*groq"):
        prepare_call(_conversation("acme"), key_store=KeyStore())
    prepared, notes = preview_call(_conversation("acme"))
    assert prepared is None and notes[0].startswith("unknown provider 'acme'")


# -- the record of runs -------------------------------------------------------------------------

def _reply(*parts) -> Exchange:
    return Exchange(model="m", messages=[Message(role="assistant", parts=list(parts))])


def test_runs_are_numbered_and_the_last_is_current():
    record = RunRecord()
    first, second = _reply(TextPart(text="a")), _reply(TextPart(text="b"))
    assert [record.add(first).number, record.add(second).number] == [1, 2]
    assert record.current is second and record.run(1).exchange is first
    assert record.run(2).title.startswith("#2")
    record.clear()
    assert record.runs == [] and record.current is None and record.last_sent is None


def test_the_tool_calls_still_to_answer_leave_out_the_servers_own():
    record = RunRecord()
    record.add(_reply(TextPart(text="looking"),
                      ToolCallPart(name="search", tool_call_id="s1", server_executed=True),
                      ToolCallPart(name="weather", tool_call_id="c1", arguments={"q": 1})))
    assert [c.name for c in record.tool_calls()] == ["weather"]
    [row] = record.tool_rows()
    assert row.role == "tool"
    assert (row.parts[0].name, row.parts[0].tool_call_id, row.parts[0].output) == \
        ("weather", "c1", "")


def test_whether_the_reply_is_already_in_the_document():
    record = RunRecord()
    assert not record.reply_in([]) and record.reply() == []
    exchange = record.add(_reply(TextPart(text="hello"))).exchange
    document = [Message.text("user", "hi")]
    assert not record.reply_in(document)
    document += record.reply()
    assert record.reply_in(document)
    assert record.reply()[0] is not exchange.messages[0]  # copies, not the run's own


def test_run_states_are_an_enum_that_still_reads_as_its_name():
    assert RunState.DONE == "done" and f"{RunState.REFUSED}" == "refused"
    assert [s.value for s in RunState] == ["idle", "sending", "retrying", "streaming", "done",
                                           "error", "stopped", "refused", "queued"]


# -- the command line keeps the same key rule as the window ----------------------------------------

CHAT_REPLY = ('data: {"choices": [{"index": 0, "delta": {"content": "hello"}}]}\n\n'
              'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
              "data: [DONE]\n\n")


def _no_key_in(received) -> bool:
    return all(KEY not in str(dict(r.headers)) and KEY not in r.path for r in received)


def test_send_to_a_custom_server_sends_no_key_like_the_window(loopback, tmp_path, capsys):
    """send used to look a key up for any preset not marked local (a custom server's key in
    the keychain went along); the window never did."""
    from composer.main import main
    from composer.models.files import save
    from composer.providers import session_keys
    from tests.loopback import Reply

    session_keys.put("custom", KEY)
    loopback.queue(Reply.sse(CHAT_REPLY))
    path = tmp_path / "c.json"
    save(_conversation("custom", loopback.url + "/v1"), path)
    assert main(["send", str(path), "--base-url", loopback.url + "/v1"]) == 0
    assert capsys.readouterr().out == "hello\n"
    assert len(loopback.received) == 1 and _no_key_in(loopback.received)


def test_models_for_a_local_server_sends_no_key(loopback, capsys):
    from composer.main import main
    from composer.providers import session_keys
    from tests.loopback import Reply

    session_keys.put("ollama", KEY)
    loopback.queue(Reply.json({"object": "list", "data": [{"id": "llama3"}]}))
    assert main(["models", "--provider", "ollama", "--base-url", loopback.url + "/v1"]) == 0
    assert capsys.readouterr().out == "llama3\n"
    assert len(loopback.received) == 1 and _no_key_in(loopback.received)


def test_a_run_is_in_the_document_while_a_row_it_was_added_as_is_there():
    record = RunRecord()
    record.add(_reply(TextPart(text="same words")))
    document = [Message.text("user", "hi"), *record.reply()]
    record.mark_in([7])
    assert record.current_run().rows == (7,)
    assert record.reply_in(document, [3, 7])
    assert not record.reply_in(document, [3])  # undone: Append Reply may add it again
    # A later run with the very same reply (a replay, a deterministic model) is not "in"
    # just because its words are: it has not been added yet.
    record.add(_reply(TextPart(text="same words")))
    assert not record.reply_in(document, [3, 7])
    assert record.reply_in(document)  # without row ids, the words are all there is to go on
    # An exchange that is no run of ours (an opened file) is compared by content.
    record.current = _reply(TextPart(text="same words"))
    assert record.current_run() is None and record.reply_in(document, [3, 7])
