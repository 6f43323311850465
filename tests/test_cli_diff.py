"""``llm-composer diff A B``: the word-level difference of two replies, exit status as diff(1)."""

from __future__ import annotations

import os

from composer.cli.diff import _use_colour
from composer.models.conversation import Conversation
from composer.models.events import Usage
from composer.models.exchange import Exchange, ExchangeExtras
from composer.models.files import save
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from tests.cli_run import run_cli

LINES = "\n".join(f"Line {n} stays." for n in range(3, 12))


def exchange(reasoning: str, text: str, city: str, *, model: str, output: int) -> Exchange:
    return Exchange(model=model, usage=Usage(input=10, output=output),
                    composer=ExchangeExtras(stop_reason="stop"),
                    messages=[Message(role="assistant", parts=[
                        ReasoningPart(text=reasoning), TextPart(text=text),
                        ToolCallPart(name="weather", arguments={"city": city, "unit": "c"},
                                     tool_call_id=f"id-{city}")])])


def two_files(tmp_path):
    a = exchange("The user wants the weather.", f"Let me check Paris.\n{LINES}\nThe end.",
                 "Paris", model="model-a", output=50)
    b = exchange("The user asks for the weather.", f"Let me check Lyon.\n{LINES}\nThe end!",
                 "Lyon", model="model-b", output=61)
    save(a, tmp_path / "a.json")
    save(b, tmp_path / "b.json")
    return "a.json", "b.json"


def test_piped_output_is_plain_with_sections_and_json_fields(tmp_path):
    a, b = two_files(tmp_path)
    got = run_cli("diff", a, b, cwd=tmp_path)
    assert got.returncode == 1, got.stderr
    assert got.stderr == ""
    assert "\x1b" not in got.stdout
    lines = got.stdout.splitlines()
    assert lines[:5] == ["--- a.json", "+++ b.json", "model: model-a → model-b",
                         "output tokens: 50 → 61", ""]
    assert lines[5:7] == ["== Reasoning ==", "The user [-wants-]{+asks for+} the weather."]
    text = lines[lines.index("== Text ==") + 1:lines.index("== Tool call weather ==")]
    assert text[0] == "Let me check [-Paris-]{+Lyon+}."
    assert "… 3 unchanged lines" in text  # three lines of context either side by default
    assert text[-2] == "The end[-.-]{+!+}"
    assert lines[lines.index("== Tool call weather ==") + 1:] == ['city: "Paris" → "Lyon"']


def test_colour_when_asked_and_on_a_terminal_unless_no_color(tmp_path, monkeypatch):
    a, b = two_files(tmp_path)
    got = run_cli("diff", a, b, "--color", "always", cwd=tmp_path)
    assert got.returncode == 1
    assert "The user \x1b[31;9mwants\x1b[0m\x1b[32masks for\x1b[0m the weather." in got.stdout
    assert "[-" not in got.stdout
    leader, follower = os.openpty()  # a real terminal
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            monkeypatch.delenv("NO_COLOR", raising=False)
            monkeypatch.setenv("TERM", "xterm")
            assert _use_colour("auto", terminal)
            monkeypatch.setenv("NO_COLOR", "1")
            assert not _use_colour("auto", terminal)
            assert _use_colour("always", terminal)
    finally:
        os.close(leader)
        os.close(follower)


def test_context_option_shows_more_or_fewer_lines(tmp_path):
    a, b = two_files(tmp_path)
    everything = run_cli("diff", a, b, "-U", "-1", cwd=tmp_path).stdout
    assert "unchanged lines" not in everything and "Line 7 stays." in everything
    tight = run_cli("diff", a, b, "--context", "0", cwd=tmp_path).stdout
    assert "… 9 unchanged lines" in tight and "Line 3 stays." not in tight


def test_equal_replies_exit_zero_and_print_nothing(tmp_path):
    a, _ = two_files(tmp_path)
    got = run_cli("diff", a, a, cwd=tmp_path)
    assert (got.returncode, got.stdout, got.stderr) == (0, "", "")


def test_equal_replies_with_a_different_outcome_say_so_and_exit_zero(tmp_path):
    a = exchange("r", "t", "Paris", model="m", output=5)
    b = a.model_copy(deep=True)
    b.composer.stop_reason = "length"
    save(a, tmp_path / "a.json")
    save(b, tmp_path / "b.json")
    got = run_cli("diff", "a.json", "b.json", cwd=tmp_path)
    assert got.returncode == 0
    assert "stop reason: stop → length" in got.stdout
    assert "(the replies are the same)" in got.stdout


def test_conversation_files_compare_their_last_assistant_message(tmp_path):
    def conversation(answer: str) -> Conversation:
        return Conversation(messages=[Message.text("user", "Hi"), Message.text("assistant", "Old"),
                                      Message.text("user", "And?"),
                                      Message.text("assistant", answer)])

    save(conversation("The answer is 4."), tmp_path / "one.json")
    save(conversation("The answer is 5."), tmp_path / "two.json")
    got = run_cli("diff", "one.json", "two.json", cwd=tmp_path)
    assert got.returncode == 1
    assert got.stdout.splitlines()[2:] == ["", "== Text ==", "The answer is [-4-]{+5+}."]


def test_bad_input_is_one_line_and_status_two(tmp_path):
    a, _ = two_files(tmp_path)
    (tmp_path / "broken.json").write_text('{"messages": [', encoding="utf-8")
    save(Conversation(messages=[Message.text("user", "q")]), tmp_path / "asked.json")
    (tmp_path / "folder").mkdir()
    cases = {"missing.json": "missing.json: No such file or directory",
             "broken.json": "broken.json: ",
             "asked.json": "asked.json: the conversation has no assistant message to compare",
             "folder": "folder: is a folder"}
    for name, says in cases.items():
        got = run_cli("diff", a, name, cwd=tmp_path)
        assert got.returncode == 2, name
        assert got.stdout == ""
        assert len(got.stderr.splitlines()) == 1, got.stderr
        assert got.stderr.startswith(f"llm-composer: error: {says}"), got.stderr


def test_usage_errors_are_status_two():
    got = run_cli("diff", "only-one.json")
    assert got.returncode == 2 and "usage:" in got.stderr


def test_two_real_recorded_replies_diff_their_reasoning_word_by_word(loopback, tmp_path):
    """Two replies Anthropic really sent to the same question, written by ``send`` from the
    recorded bytes, then compared: the thinking differs, the tool call asked for is the same."""
    from tests import cassettes
    from tests.conftest import recordings_or_skip
    from tests.loopback import Reply
    from tests.test_cli_send import THINKING, anthropic_conversation

    other = THINKING.replace("TestAnthropicThinking/", "TestAnthropicThinkingWithCacheControl/")
    bodies = [cassettes.load(recordings_or_skip() / name).interactions[0].response_body
              for name in (THINKING, other)]
    anthropic_conversation(tmp_path / "conv.json")
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-ant-test"}
    for body, out in zip(bodies, ("a.json", "b.json"), strict=True):
        loopback.queue(Reply.sse(body))
        sent = run_cli("send", "conv.json", "--base-url", loopback.url, "--out", out, env=env,
                       cwd=tmp_path)
        assert sent.returncode == 0, sent.stderr
    got = run_cli("diff", "a.json", "b.json", cwd=tmp_path, env=env)
    assert got.returncode == 1, got.stderr
    lines = got.stdout.splitlines()
    assert "== Reasoning ==" in lines
    reasoning = lines[lines.index("== Reasoning ==") + 1:]
    assert any("[-" in line or "{+" in line for line in reasoning)
    # Word by word: some of the thinking is kept, unmarked, on a changed line.
    assert any(line.split("[-")[0].strip() for line in reasoning if "[-" in line)
    assert "== Tool call weather ==" not in lines  # the same arguments: nothing to show
