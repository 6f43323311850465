"""Two replies compared as a reader compares them (composer/models/diff): word by word, reasoning
apart from text, tool-call arguments and structured output field by field, hostile input cheap."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.diff import (
    Segment,
    diff_exchanges,
    diff_json,
    diff_replies,
    diff_text,
    fold,
    inline_lines,
    reply_of,
    side_by_side,
)
from composer.models.diff.exchanges import NoReply
from composer.models.diff.words import chunks
from composer.models.events import StreamError, Usage
from composer.models.exchange import Exchange, ExchangeExtras
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from tests.trials import examples


def reply(*parts) -> list[Message]:
    return [Message(role="assistant", parts=list(parts))]


def changes(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(s.op, s.text) for s in segments if s.op != "equal"]


def sides(segments: list[Segment]) -> tuple[str, str]:
    return ("".join(s.text for s in segments if s.op != "insert"),
            "".join(s.text for s in segments if s.op != "delete"))


# -- words ----------------------------------------------------------------------------------


def test_a_changed_word_is_one_change_and_the_rest_stays_equal():
    segments = diff_text("The sky is blue today.", "The sky is grey today.")
    assert segments == [Segment("equal", "The sky is "), Segment("delete", "blue"),
                        Segment("insert", "grey"), Segment("equal", " today.")]


def test_neighbouring_changed_words_read_as_one_change():
    # The space between "The" and "cat" is equal, but "[-The-]{+A+} [-cat-]{+dog+}" is noise.
    assert changes(diff_text("The cat sat on the mat.", "A dog sat on the mat.")) == [
        ("delete", "The cat"), ("insert", "A dog")]


def test_a_short_word_kept_between_longer_changes_joins_them():
    # "the" is in both, but reading it as kept between two rewrites is noise.
    assert changes(diff_text("The Louvre, the most visited museum.",
                             "The Louvre, home of the Mona Lisa.")) == [
        ("delete", "the most visited museum"), ("insert", "home of the Mona Lisa")]
    # A kept stretch as long as the changes around it stays.
    assert changes(diff_text("built in 1889.", "finished in 1889 for the Fair.")) == [
        ("delete", "built"), ("insert", "finished"), ("insert", " for the Fair")]


def test_punctuation_and_whitespace_are_tokens_of_their_own():
    assert changes(diff_text("Yes, it works.", "Yes; it works!")) == [
        ("delete", ","), ("insert", ";"), ("delete", "."), ("insert", "!")]
    assert changes(diff_text("one two", "one  two")) == [("delete", " "), ("insert", "  ")]


def test_cjk_text_is_compared_character_by_character():
    assert changes(diff_text("今日は晴れです。", "今日は雨です。")) == [
        ("delete", "晴れ"), ("insert", "雨")]


def test_identical_and_empty_texts():
    assert diff_text("same", "same") == [Segment("equal", "same")]
    assert diff_text("", "") == []
    assert diff_text("", "new") == [Segment("insert", "new")]
    assert diff_text("old", "") == [Segment("delete", "old")]


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet="ab .,\n日x", max_size=80), st.text(alphabet="ab .,\n日x", max_size=80))
def test_the_segments_give_both_texts_back(a, b):
    segments = diff_text(a, b)
    assert sides(segments) == (a, b)
    assert all(s.text for s in segments)
    # A change is a deletion then an insertion, never the other way round, and never split.
    ops = [s.op for s in segments]
    assert all(not (x == y) for x, y in zip(ops, ops[1:], strict=False))
    assert all(not (x == "insert" and y == "delete") for x, y in zip(ops, ops[1:], strict=False))


def test_scattered_changes_in_a_long_text_are_found_word_by_word():
    sentences = [f"Sentence {i} talks about topic {i % 7} at some length." for i in range(3000)]
    changed = list(sentences)
    for i in (10, 1500, 2999):
        changed[i] = changed[i].replace("some length", "great length")
    a, b = " ".join(sentences), " ".join(changed)
    segments = diff_text(a, b)
    assert sides(segments) == (a, b)
    assert changes(segments) == [("delete", "some"), ("insert", "great")] * 3


def test_an_inserted_word_in_a_long_unpunctuated_run_moves_no_later_cut():
    words = " ".join(f"w{i}" for i in range(5000))
    cut_a = chunks(words)
    cut_b = chunks("extra " + words)
    assert len(cut_a) > 50  # the run was cut although it has no sentence end
    assert cut_a[3:] == cut_b[3:]
    assert changes(diff_text(words, "extra " + words)) == [("insert", "extra ")]


# -- JSON -----------------------------------------------------------------------------------


def test_json_changes_are_named_by_path():
    a = {"city": "Paris", "days": [1, 2, 3], "opts": {"unit": "c", "odd key": 1}, "n": 1}
    b = {"city": "Lyon", "days": [0, 1, 2, 3], "opts": {"odd key": 2}, "n": True, "new": None}
    got = [(c.path, c.change, c.old, c.new) for c in diff_json(a, b).changes]
    assert got == [("city", "changed", "Paris", "Lyon"),
                   ("days[0]", "added", None, 0),
                   ("opts.unit", "removed", "c", None),
                   ('opts["odd key"]', "changed", 1, 2),
                   ("n", "changed", 1, True),  # true is not 1 in JSON
                   ("new", "added", None, None)]


def test_a_different_root_is_one_change_at_dollar():
    assert [(c.path, c.old, c.new) for c in diff_json([1], {"a": 1}).changes] == [
        ("$", [1], {"a": 1})]
    assert not diff_json({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]})


def test_tool_call_arguments_are_compared_field_by_field():
    a = reply(TextPart(text="Checking."), ToolCallPart(
        name="weather", arguments={"city": "Paris", "unit": "c"}, tool_call_id="call_1"))
    b = reply(TextPart(text="Checking."), ToolCallPart(
        name="weather", arguments={"city": "Lyon", "unit": "c"}, tool_call_id="call_2"))
    result = diff_replies(a, b)
    [call] = result.changed_sections  # the text is equal; the call ids are never compared
    assert call.title == "Tool call weather" and call.kind == "tool_call"
    assert [(c.path, c.old, c.new) for c in call.fields.changes] == [("city", "Paris", "Lyon")]
    assert changes(call.segments) == [("delete", "Paris"), ("insert", "Lyon")]


def test_json_key_order_is_not_a_change_and_is_not_shown_as_one():
    a = reply(ToolCallPart(name="f", arguments={"a": 1, "b": {"x": 1, "y": 2}}))
    b = reply(ToolCallPart(name="f", arguments={"b": {"y": 2, "x": 1}, "a": 1}))
    assert diff_replies(a, b).equal
    c = reply(ToolCallPart(name="f", arguments={"b": {"y": 3, "x": 1}, "a": 1}))
    [call] = diff_replies(a, c).sections
    assert changes(call.segments) == [("delete", "2"), ("insert", "3")]


def test_tool_calls_pair_by_name_and_order_and_one_side_only_is_said():
    a = reply(ToolCallPart(name="search", arguments={"q": "a"}),
              ToolCallPart(name="search", arguments={"q": "b"}))
    b = reply(ToolCallPart(name="search", arguments={"q": "a"}),
              ToolCallPart(name="fetch", arguments={"url": "u"}),
              ToolCallPart(name="search", arguments={"q": "c"}))
    sections = {s.title: s for s in diff_replies(a, b).sections}
    assert not sections["Tool call search #1"].changed
    assert [(c.path, c.old, c.new) for c in sections["Tool call search #2"].fields.changes] == [
        ("q", "b", "c")]
    assert sections["Tool call fetch"].only == "b"


def test_structured_output_text_is_compared_as_json_even_when_fenced_or_formatted_apart():
    a = reply(TextPart(text='{"name": "Ada", "tags": ["x", "y"], "age": 36}'))
    b = reply(TextPart(text='```json\n{\n  "name": "Ada",\n  "tags": ["x"],\n  "age": 37\n}\n```'))
    [text] = diff_replies(a, b).sections
    assert text.json and text.title == "Text (JSON)"
    assert [(c.path, c.change) for c in text.fields.changes] == [
        ("tags[1]", "removed"), ("age", "changed")]
    # Both sides shown in one layout, so only the real changes are marked.
    assert changes(text.segments) == [("delete", ',\n    "y"'), ("delete", "36"),
                                      ("insert", "37")]


def test_text_that_is_json_on_one_side_only_is_compared_as_words():
    [text] = diff_replies(reply(TextPart(text='{"a": 1}')),
                          reply(TextPart(text="Sorry, I cannot."))).sections
    assert not text.json and text.title == "Text" and not text.fields


def test_reasoning_is_compared_with_reasoning_and_text_with_text():
    a = reply(ReasoningPart(text="alpha beta"), TextPart(text="gamma delta"))
    b = reply(ReasoningPart(text="gamma delta"), TextPart(text="alpha beta"))
    reasoning, text = diff_replies(a, b).sections
    assert reasoning.title == "Reasoning" and text.title == "Text"
    assert changes(reasoning.segments) == [("delete", "alpha beta"), ("insert", "gamma delta")]
    assert changes(text.segments) == [("delete", "gamma delta"), ("insert", "alpha beta")]


def test_reasoning_in_one_reply_only_and_withheld_reasoning():
    only = diff_replies(reply(TextPart(text="x")),
                        reply(ReasoningPart(text="hmm"), TextPart(text="x")))
    assert [(s.title, s.only) for s in only.changed_sections] == [("Reasoning", "b")]
    withheld = diff_replies(reply(ReasoningPart(text="", redacted=True)),
                            reply(ReasoningPart(text="plain")))
    assert "withheld by the provider: 1 in A, 0 in B" in withheld.sections[0].notes[0]
    alike = diff_replies(reply(ReasoningPart(redacted=True)), reply(ReasoningPart(redacted=True)))
    assert alike.equal


def test_tool_results_and_attachments():
    png = Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 50, name="a.png")
    other = Attachment.from_bytes(b"\x89PNG\r\n\x1a\n" + b"2" * 60, name="b.png")
    a = reply(ToolResultPart(name="run", output='{"ok": true, "n": 1}'),
              AttachmentPart(attachment=png))
    b = reply(ToolResultPart(name="run", output='{"ok": true, "n": 2}', exception="boom"),
              AttachmentPart(attachment=other), AttachmentPart(attachment=png))
    result, image, image2 = diff_replies(a, b).sections
    assert result.json and [c.path for c in result.fields.changes] == ["n"]
    assert result.notes == ['exception: null → "boom"']
    assert image.title == "Attachment image/png #1"
    assert image.notes == ["image/png, 58 bytes → image/png, 68 bytes, contents differ"]
    assert image2.only == "b"


def test_identical_replies_have_no_changes():
    parts = [ReasoningPart(text="think " * 50), TextPart(text="answer " * 50),
             ToolCallPart(name="f", arguments={"a": [1, {"b": None}]}),
             ToolResultPart(name="f", output="out"),
             AttachmentPart(attachment=Attachment(type="image/png", url="https://x/y.png"))]
    result = diff_replies(reply(*parts), reply(*[p.model_copy(deep=True) for p in parts]))
    assert result.equal and result.changed_sections == []
    assert [s.kind for s in result.sections] == ["reasoning", "text", "tool_call", "tool_result",
                                                 "attachment"]
    assert diff_replies([], []).equal


# -- exchanges and files ----------------------------------------------------------------------


def test_exchanges_add_a_summary_that_does_not_decide_equality():
    a = Exchange(model="m-1", messages=reply(TextPart(text="hi")), usage=Usage(input=10, output=3),
                 composer=ExchangeExtras(stop_reason="stop"))
    b = Exchange(model="m-2", messages=reply(TextPart(text="hi")),
                 usage=Usage.report(input=10, output=1200, reasoning=1000),
                 composer=ExchangeExtras(stop_reason="length", error=StreamError("cut\nshort")))
    result = diff_exchanges(a, b)
    assert result.equal
    assert [(d.what, d.old, d.new) for d in result.summary] == [
        ("model", "m-1", "m-2"), ("stop reason", "stop", "length"),
        ("output tokens", "3", "1,200"), ("reasoning tokens", "—", "1,000"),
        ("error", "—", "cut short")]


def test_the_reply_of_a_conversation_is_its_last_assistant_message():
    conversation = Conversation(messages=[
        Message.text("user", "q"), Message.text("assistant", "first"), Message.text("user", "q2"),
        Message.text("assistant", "second"), Message.text("user", "q3")])
    assert [m.plain_text for m in reply_of(conversation)] == ["second"]
    assert reply_of(Exchange(messages=reply(TextPart(text="r"))))[0].plain_text == "r"
    try:
        reply_of(Conversation(messages=[Message.text("user", "q")]))
    except NoReply as exc:
        assert "no assistant message" in str(exc)
    else:
        raise AssertionError("a conversation with no reply was compared")


# -- layout ---------------------------------------------------------------------------------


def test_side_by_side_rows_stay_level_at_shared_line_breaks():
    segments = diff_text("one\ntwo\nthree\nfour", "one\n2\nthree\nfour\nfive")
    rows = side_by_side(segments)
    assert ["".join(s.text for s in r.left) for r in rows] == ["one", "two", "three", "four"]
    assert ["".join(s.text for s in r.right) for r in rows] == ["one", "2", "three", "four\nfive"]
    assert [r.changed for r in rows] == [False, True, False, True]


def test_inline_lines_and_folding_keep_context_around_changes():
    lines = inline_lines(diff_text("\n".join("abcdefghij"), "\n".join("abcdeXghij")))
    assert [ln.changed for ln in lines].index(True) == 5
    spans = fold([ln.changed for ln in lines], context=1)
    assert [(s.start, s.end, s.folded) for s in spans] == [(0, 4, True), (4, 7, False),
                                                           (7, 10, True)]
    assert [(s.start, s.end, s.folded) for s in fold([False, True, False], 1)] == [(0, 3, False)]
    assert [(s.start, s.end, s.folded) for s in fold([True] + [False] * 5, -1)] == [
        (0, 6, False)]


# -- hostile input --------------------------------------------------------------------------


def test_deep_json_never_crashes():
    deep_a: object = 1
    deep_b: object = 2
    for _ in range(5000):  # far past the interpreter's recursion limit
        deep_a, deep_b = [deep_a], [deep_b]
    found = diff_json(deep_a, deep_b)
    assert len(found) == 1 and found.changes[0].path.startswith("[0][0]")
    result = diff_replies(reply(ToolCallPart(name="f", arguments={"x": deep_a})),
                          reply(ToolCallPart(name="f", arguments={"x": deep_b})))
    assert result.sections[0].changed


def test_huge_json_lists_its_first_changes_and_counts_the_rest():
    a = {"items": [{"id": i, "v": i} for i in range(20_000)]}
    b = {"items": [{"id": i, "v": -i} for i in range(20_000)]}
    found = diff_json(a, b)
    assert len(found.changes) == 500 and found.more > 0
    assert found.changes[0].path == "items[1].v"
    front = diff_json([0] * 100_000, [1] + [0] * 100_000)
    assert [(c.path, c.change) for c in front.changes] == [("[0]", "added")]


def test_hostile_texts_give_both_texts_back():
    cases = [
        ("a " * 100_000, "a " * 50_000 + "b " + "a " * 50_000),  # one word repeated
        ("x\n" * 100_000, "x\n" * 50_000 + "y\n" + "x\n" * 50_000),  # one line repeated
        ("z" * 500_000, "z" * 499_999 + "y"),  # one endless word
        ("a b " * 30_000, "b a " * 30_000),
        (json.dumps(list(range(50_000))), json.dumps(list(range(1, 50_001)))),
        ("\ud800 lone", "\udfff lone"),  # surrogates a stream can leave
    ]
    for a, b in cases:
        assert sides(diff_text(a, b)) == (a, b)
