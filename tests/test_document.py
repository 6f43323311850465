"""The document's edits and their inverses, without Qt."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.models.conversation import Conversation
from composer.models.document import (
    Document,
    EditError,
    EditGroup,
    InsertRows,
    MoveRows,
    ReplaceAll,
    ReplaceMessage,
    Reset,
    RowChanged,
    RowsInserted,
    RowsMoved,
    RowsRemoved,
    RowsReordered,
    SettingsChanged,
    contiguous_runs,
    with_text,
)
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from composer.models.settings import RequestSettings
from tests.trials import examples


def doc_of(*texts: str) -> Document:
    return Document(Conversation(messages=[Message.text("user", t) for t in texts]))


def texts(doc: Document) -> list[str]:
    return [m.plain_text for m in doc.messages]


class Shadow:
    """Rebuilds the id list from notices alone, as a Qt model must be able to."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.ids = list(doc.ids)
        self.pending = None
        doc.subscribe(self.after, before=self.before)

    def before(self, notice):
        assert self.pending is None, "nested change"
        assert self.ids == list(self.doc.ids), "before-notice came after the change"
        self.pending = notice

    def after(self, notice):
        if isinstance(notice, RowChanged | SettingsChanged):
            assert self.pending is None
            return
        assert notice == self.pending
        self.pending = None
        now = list(self.doc.ids)
        match notice:
            case RowsInserted(index=i, count=c):
                self.ids[i:i] = now[i:i + c]
            case RowsRemoved():
                del self.ids[notice.first:notice.last + 1]
            case RowsMoved(start=s, count=c, dest=d):
                block = self.ids[s:s + c]
                del self.ids[s:s + c]
                at = d if d < s else d - c
                self.ids[at:at] = block
            case RowsReordered(order=order):
                self.ids = [self.ids[i] for i in order]
            case Reset():
                self.ids = now
        assert self.ids == now


def test_insert_then_undo_restores_rows_and_ids():
    doc = doc_of("a", "b")
    ids = doc.ids
    inverse = doc.apply(InsertRows(1, (Message.text("user", "x"), Message.text("user", "y"))))
    assert texts(doc) == ["a", "x", "y", "b"]
    doc.apply(inverse)
    assert texts(doc) == ["a", "b"] and doc.ids == ids


def test_removing_scattered_rows_undoes_to_the_same_ids():
    doc = doc_of("a", "b", "c", "d", "e")
    ids = doc.ids
    inverse = doc.apply(MoveRows((), 0))  # a no-op move is allowed and undoes to nothing
    doc.apply(inverse)
    from composer.models.document import RemoveRows

    inverse = doc.apply(RemoveRows((3, 0, 1)))
    assert texts(doc) == ["c", "e"]
    assert isinstance(inverse, EditGroup)
    doc.apply(inverse)
    assert texts(doc) == ["a", "b", "c", "d", "e"] and doc.ids == ids


@pytest.mark.parametrize(
    ("indices", "dest", "expected"),
    [
        ((0,), 3, "bcade"),
        ((4,), 0, "eabcd"),
        ((1, 3), 5, "acebd"),
        ((0, 4), 2, "baecd"),
        ((1, 2), 1, "abcde"),  # already in place
        ((1, 2), 3, "abcde"),
        ((0, 2, 4), 3, "baced"),
    ],
)
def test_move_places_rows_in_order_where_dest_was(indices, dest, expected):
    doc = doc_of(*"abcde")
    ids = doc.ids
    shadow = Shadow(doc)
    inverse = doc.apply(MoveRows(indices, dest))
    assert "".join(texts(doc)) == expected
    doc.apply(inverse)
    assert "".join(texts(doc)) == "abcde" and doc.ids == ids
    assert shadow.ids == list(ids)


def test_a_big_scattered_move_is_one_reorder_with_the_same_result():
    from composer.models.document import STEPWISE_MOVE_LIMIT

    names = [f"r{i}" for i in range(40)]
    picked = tuple(range(1, 40, 3))[: STEPWISE_MOVE_LIMIT + 3]
    reordered = doc_of(*names)
    shadow = Shadow(reordered)
    seen = []
    reordered.subscribe(seen.append)
    inverse = reordered.apply(MoveRows(picked, 30))
    assert [type(x) for x in seen] == [RowsReordered]
    expected = [x for i, x in enumerate(names) if i not in picked]
    k = 30 - sum(1 for i in picked if i < 30)
    expected[k:k] = [names[i] for i in picked]
    assert texts(reordered) == expected
    assert shadow.ids == list(reordered.ids)
    ids = reordered.ids
    redo = reordered.apply(inverse)
    assert texts(reordered) == names
    reordered.apply(redo)
    assert reordered.ids == ids


def test_replace_message_notifies_and_undoes():
    doc = doc_of("a")
    seen = []
    doc.subscribe(seen.append)
    inverse = doc.apply(ReplaceMessage(0, Message.text("assistant", "z")))
    assert seen == [RowChanged(0)] and doc.message(0).role == "assistant"
    doc.apply(inverse)
    assert doc.message(0) == Message.text("user", "a")


def test_replace_all_keeps_the_live_conversation_object_and_undoes():
    doc = doc_of("a", "b")
    live = doc.conversation
    ids = doc.ids
    new = Conversation(messages=[Message.text("system", "s")],
                       settings=RequestSettings(model="m1"))
    inverse = doc.apply(ReplaceAll(new))
    assert doc.conversation is live and texts(doc) == ["s"] and live.settings.model == "m1"
    doc.apply(InsertRows(1, (Message.text("user", "later"),)))
    assert len(new.messages) == 1, "the edit's conversation must not be mutated afterwards"
    doc.apply(inverse)
    assert texts(doc) == ["a", "b"] and doc.ids == ids and live.settings.model == ""


def test_set_settings_notifies_without_touching_rows():
    doc = doc_of("a")
    seen = []
    doc.subscribe(seen.append)
    doc.set_settings(RequestSettings(model="x"))
    assert seen == [SettingsChanged()] and doc.conversation.settings.model == "x"


def test_bad_edits_raise_before_changing_anything():
    doc = doc_of("a", "b")
    from composer.models.document import RemoveRows

    for edit in (InsertRows(5, (Message.text("user", "x"),)), RemoveRows((0, 2)),
                 MoveRows((0,), 3), ReplaceMessage(2, Message.text("user", "x")),
                 RemoveRows((1, 1))):
        with pytest.raises(EditError):
            doc.apply(edit)
    assert texts(doc) == ["a", "b"]


def test_contiguous_runs():
    assert contiguous_runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 1), (9, 2)]
    assert contiguous_runs([]) == []


def test_with_text_keeps_other_parts_and_metadata():
    msg = Message(role="assistant", parts=[
        ReasoningPart(text="think", provider_metadata={"anthropic": {"signature": "s"}}),
        TextPart(text="one", provider_metadata={"x": 1}),
        ToolCallPart(name="f", arguments={"a": 1}, tool_call_id="c1"),
        TextPart(text="two"),
    ])
    out = with_text(msg, "new")
    assert [p.type for p in out.parts] == ["reasoning", "text", "tool_call"]
    assert out.parts[1].text == "new" and out.parts[1].provider_metadata == {"x": 1}
    assert out.parts[0] == msg.parts[0] and msg.parts[1].text == "one"
    bare = Message(role="assistant", parts=[ReasoningPart(text="r"), ToolCallPart(name="f")])
    assert [p.type for p in with_text(bare, "t").parts] == ["reasoning", "text", "tool_call"]
    assert with_text(bare, "") is bare


# -- any sequence of edits undoes and redoes exactly ------------------------------------------

edits_strategy = st.lists(
    st.tuples(st.sampled_from(["insert", "remove", "move", "replace"]),
              st.lists(st.integers(0, 30), min_size=1, max_size=14), st.integers(0, 20)),
    max_size=12,
)


@settings(max_examples=examples(150), deadline=None)
@given(edits_strategy)
def test_any_edit_sequence_undoes_and_redoes_exactly(ops):
    from composer.models.document import RemoveRows

    doc = doc_of(*"abcdef")
    shadow = Shadow(doc)
    history = []  # (edit, inverse, state before, state after)
    for n, (kind, raw, extra) in enumerate(ops):
        size = len(doc)
        if kind == "insert":
            edit = InsertRows(extra % (size + 1), tuple(Message.text("user", f"n{n}.{k}")
                                                        for k in range(len(raw))))
        elif size == 0:
            continue
        elif kind == "remove":
            edit = RemoveRows(tuple(sorted({r % size for r in raw})))
        elif kind == "move":
            edit = MoveRows(tuple(sorted({r % size for r in raw})), extra % (size + 1))
        else:
            edit = ReplaceMessage(extra % size, Message.text("assistant", f"r{n}"))
        before = (list(doc.messages), doc.ids)
        inverse = doc.apply(edit)
        history.append((edit, inverse, before, (list(doc.messages), doc.ids)))
        assert len(set(doc.ids)) == len(doc)
    redos = []
    for _edit, inverse, before, _after in reversed(history):
        redos.append(doc.apply(inverse))
        assert (list(doc.messages), doc.ids) == before
    # Undo returns the redo edit (an insert that brings back the same ids), as EditCommand uses.
    for redo, (_edit, _inverse, _before, after) in zip(reversed(redos), history, strict=True):
        doc.apply(redo)
        assert (list(doc.messages), doc.ids) == after
    assert shadow.ids == list(doc.ids)


def test_a_snapshot_keeps_the_conversation_as_it_was_whatever_the_document_does_next():
    """What a send, a compare, a count or a preview works on: no edit reaches it."""
    from composer.models.tree import Tree

    rows = [Message.text("system", "Be brief."), Message.text("user", "Hi {{name}}")]
    conversation = Conversation(messages=rows, settings=RequestSettings(provider="anthropic",
                                                                        model="m"))
    conversation.composer.variables = {"name": "Ada"}
    conversation.their_key = 1
    tree, _ = Tree.linear(rows).commit([rows[0], Message.text("user", "Hello")])
    conversation.set_tree(tree)
    document = Document(conversation)
    snapshot = document.conversation.snapshot()
    before = conversation.to_dict()
    assert snapshot == conversation and snapshot.to_dict() == before
    assert snapshot.tree == tree and snapshot.model_extra == {"their_key": 1}

    document.apply(ReplaceMessage(1, Message.text("user", "changed")))
    document.apply(InsertRows(2, (Message.text("assistant", "more"),)))
    document.set_settings(RequestSettings(provider="openai", model="other"))
    document.set_variables({"name": "Grace"})
    assert snapshot.to_dict() == before and snapshot != document.conversation


def test_the_revision_counts_every_edit_applied_undo_included():
    doc = Document(Conversation(messages=[Message.text("user", "a")]))
    seen = [doc.revision]
    undo = doc.apply(ReplaceMessage(0, Message.text("user", "b")))
    seen.append(doc.revision)
    doc.apply(undo)
    seen.append(doc.revision)
    with pytest.raises(EditError):
        doc.apply(ReplaceMessage(5, Message.text("user", "c")))  # refused: nothing changed
    seen.append(doc.revision)
    doc.set_variables({"x": "1"})  # not the rows: a commit's plan still holds
    seen.append(doc.revision)
    assert seen == [0, 1, 2, 2, 2]
