"""The conversation tree in the pure core: commit forks instead of losing what came after,
variants step and remember their own continuations, branches are named, deleted (what only
they have) and promoted; the file keeps it all (format 2), version 1 opens as it is, a newer
version and a malformed tree are refused naming the place; SetTree undoes as one edit."""

from __future__ import annotations

import json

import jsonschema
import pytest

from composer.models import branching, files, formats
from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.errors import FormatError, VersionError
from composer.models.parts import Message
from composer.models.schema import SCHEMA_DIR
from composer.models.tree import ROOT, Tree, TreeError
from tests.cli_run import run_cli


def u(text: str) -> Message:
    return Message.text("user", text)


def a(text: str) -> Message:
    return Message.text("assistant", text)


def texts(messages) -> list[str]:
    return [m.plain_text for m in messages]


ROWS = [u("q1"), a("r1"), u("q2"), a("r2")]


def forked() -> Tree:
    """q1 r1 q2 r2, then row 2 edited and sent: q1 r1 q2' (active)."""
    tree, fork = Tree.linear(ROWS).commit([*ROWS[:2], u("q2 again")])
    assert fork == 2
    return tree


# -- commit -----------------------------------------------------------------------------------


def test_commit_of_the_same_rows_reuses_every_node_and_an_appended_row_extends_the_path():
    tree = Tree.linear(ROWS)
    again, fork = tree.commit(ROWS)
    assert fork is None and again == tree and len(again) == 4
    longer, fork = tree.commit([*ROWS, u("q3")])
    assert fork is None and len(longer) == 5 and len(longer.leaves) == 1
    assert longer.path[:4] == tree.path


def test_editing_an_earlier_row_and_committing_forks_there_keeping_what_came_after():
    tree = forked()
    assert texts(tree.messages()) == ["q1", "r1", "q2 again"]
    assert len(tree.leaves) == 2
    old = tree.leaves[0]
    assert texts(tree.promote(old)) == ["q1", "r1", "q2", "r2"]
    # Committing the old rows again finds the old nodes: no third branch.
    back, fork = tree.commit(ROWS)
    assert fork is None and len(back) == len(tree) and back.path[-1] == old


def test_a_shorter_commit_ends_the_path_early_and_the_rest_stays_as_a_branch():
    tree, fork = Tree.linear(ROWS).commit(ROWS[:2])
    assert fork is None and texts(tree.messages()) == ["q1", "r1"]
    assert len(tree) == 4 and tree.other_branches() == 1
    # A different reply to the same question is then a variant of row 3.
    tree, fork = tree.commit([*ROWS[:2], u("q2b")])
    assert fork == 2 and tree.variant(2) == (1, 2)


def test_the_last_row_edited_is_edited_in_place_as_nothing_came_after_it():
    tree = Tree.linear(ROWS)
    edited, fork = tree.commit([*ROWS[:3], a("r2, corrected")])
    assert fork is None and len(edited) == 4 and edited.path == tree.path
    assert texts(edited.messages())[-1] == "r2, corrected"
    # A regenerated reply edited in place stays that variant; the others are untouched.
    tree, _ = tree.add_variant(tree.parent_at(3), [a("r2b")])
    edited, fork = tree.commit([*ROWS[:3], a("r2b, corrected")])
    assert fork is None and edited.variant(3) == (1, 2)
    assert texts(edited.promote(edited.leaves[0]))[-1] == "r2"


def test_a_conversation_sent_on_one_path_keeps_no_tree_until_it_forks():
    document = Document(Conversation(messages=list(ROWS)))
    document.conversation.messages.append(u("q3"))
    edit, fork = branching.commit(document)  # a send of one more row
    document.apply(edit)
    assert fork is None and document.tree is None
    assert texts(document.committed_rows) == ["q1", "r1", "q2", "r2", "q3"]
    document.conversation.messages[4] = u("q3, typo fixed")  # the last row: in place
    document.apply(branching.commit(document)[0])
    assert document.tree is None
    document.conversation.messages[1] = a("r1 rewritten")  # something came after: a branch
    edit, fork = branching.commit(document)
    document.apply(edit)
    assert fork == 1 and len(document.tree.leaves) == 2


def test_editing_the_first_row_forks_at_the_root():
    tree, fork = Tree.linear(ROWS).commit([u("other start")])
    assert fork == 0 and tree.variant(0) == (1, 2)
    assert len(tree.node(ROOT).children) == 2


# -- variants ---------------------------------------------------------------------------------


def test_add_variant_keeps_every_regenerated_reply_even_an_equal_one_and_chooses_it():
    tree = Tree.linear(ROWS)
    parent = tree.parent_at(3)
    tree, first = tree.add_variant(parent, [a("r2 take 2")])
    tree, second = tree.add_variant(parent, [a("r2")])  # the same text: still its own variant
    assert tree.variant(3) == (2, 3) and tree.path[-1] == second
    assert texts(tree.messages()) == ["q1", "r1", "q2", "r2"]
    assert tree.variant_rows == {3: (2, 3)}
    tree = tree.step(3, -1)
    assert texts(tree.messages())[-1] == "r2 take 2" and tree.path[-1] == first
    assert tree.step(3, -1).step(3, -1) is None  # no wrapping past the first


def test_a_variant_remembers_its_own_continuation():
    tree = Tree.linear(ROWS)
    tree, _ = tree.add_variant(tree.parent_at(1), [a("r1b")])
    tree, _ = tree.commit([u("q1"), a("r1b"), u("follow b")])
    tree = tree.choose(1, 0)
    assert texts(tree.messages()) == ["q1", "r1", "q2", "r2"]
    tree = tree.step(1, +1)
    assert texts(tree.messages()) == ["q1", "r1b", "follow b"]


def test_a_reply_of_several_messages_is_one_variant_chain():
    tree = Tree.linear(ROWS[:2])
    tree, leaf = tree.add_variant(tree.parent_at(1),
                                  [a("calls a tool"), Message.text("tool", "42")])
    assert tree.variant(1) == (1, 2) and tree.depth(leaf) == 2
    assert texts(tree.messages()) == ["q1", "calls a tool", "42"]


# -- branches ---------------------------------------------------------------------------------


def test_branches_are_auto_named_named_and_a_name_follows_its_branch_as_it_grows():
    tree = forked()
    assert [b.name for b in tree.branches()] == ["branch 1", "branch 2"]
    assert [b.active for b in tree.branches()] == [False, True]
    assert [b.fork_row for b in tree.branches()] == [2, 2]
    tree = tree.rename(tree.path[-1], "  retry  ")
    tree, _ = tree.commit([*tree.messages(), a("answer")])
    assert tree.branches()[1].name == "retry" and tree.branches()[1].named
    assert tree.rename(tree.path[-1], "").branches()[1].name == "branch 2"
    with pytest.raises(TreeError):
        tree.rename(tree.path[0], "not a leaf")


def test_switch_shows_a_branch_and_delete_removes_only_what_that_branch_has():
    tree = forked()
    old, new = tree.leaves
    tree = tree.switch(old)
    assert texts(tree.messages()) == ["q1", "r1", "q2", "r2"]
    kept = tree.delete_branch(new)
    assert len(kept) == 4 and kept.leaves == (old,) and kept.path[-1] == old
    # Deleting the active branch moves the path to its sibling.
    gone = tree.delete_branch(old)
    assert len(gone) == 3 and texts(gone.messages()) == ["q1", "r1", "q2 again"]
    with pytest.raises(TreeError, match="only branch"):
        gone.delete_branch(gone.leaves[0])


def test_segments_show_the_tree_as_runs_between_forks():
    tree = forked()
    segs = tree.segments()
    assert [(s.first_row, s.last_row, s.on_path, s.leaf is not None) for s in segs] == [
        (0, 1, True, False), (2, 3, False, True), (2, 2, True, True)]
    assert segs[1].parent == segs[0].end == segs[2].parent


def test_trees_are_values_an_operation_never_changes_the_tree_it_started_from():
    tree = Tree.linear(ROWS)
    before = (tree.path, len(tree), tree.names)
    tree.commit([u("x")])
    tree.add_variant(tree.parent_at(1), [a("y")])
    tree.rename(tree.leaves[0], "z")
    assert (tree.path, len(tree), tree.names) == before


# -- the file ---------------------------------------------------------------------------------


def _with_tree(tree: Tree) -> Conversation:
    conversation = Conversation(messages=tree.messages())
    conversation.set_tree(tree)
    return conversation


def test_a_file_keeps_every_branch_and_names_and_reopens_equal(tmp_path):
    tree = forked().rename(forked().leaves[0], "the first try")
    path = tmp_path / "c.json"
    files.save(_with_tree(tree), path)
    data = json.loads(path.read_text())
    assert data["composer"]["format_version"] == 2
    assert texts(Conversation.model_validate(data).messages) == ["q1", "r1", "q2 again"]
    # Messages of the table are referenced by row, not written twice.
    assert sum("message" in n for n in data["composer"]["tree"]["nodes"]) == 2
    loaded = files.load(path)
    assert loaded.tree == tree and loaded.tree.names == {tree.leaves[0]: "the first try"}
    assert loaded.tree.next_id == tree.next_id
    jsonschema.validate(data, json.loads((SCHEMA_DIR / "conversation.schema.json").read_text()))


def test_a_table_edited_after_the_commit_is_saved_as_the_table_with_the_tree_beside_it(tmp_path):
    tree = forked()
    conversation = _with_tree(tree)
    conversation.messages[0] = u("q1 edited, not sent")
    path = tmp_path / "c.json"
    files.save(conversation, path)
    loaded = files.load(path)
    assert texts(loaded.messages)[0] == "q1 edited, not sent"
    assert loaded.tree == tree


def test_a_conversation_without_branches_is_written_as_version_1_without_a_tree(tmp_path):
    conversation = _with_tree(Tree.linear(ROWS))
    conversation.messages[0] = u("edited in place")  # an edit in place is no branch
    path = tmp_path / "c.json"
    files.save(conversation, path)
    assert json.loads(path.read_text())["composer"] == {"kind": "conversation",
                                                        "format_version": 1}


def test_a_version_1_file_opens_unchanged(tmp_path):
    path = tmp_path / "v1.json"
    data = {"composer": {"kind": "conversation", "format_version": 1},
            "messages": [m.to_dict() for m in ROWS], "settings": {"model": "m"},
            "extra_key": {"kept": True}}
    path.write_text(json.dumps(data))
    loaded = files.load(path)
    assert loaded.messages == ROWS and loaded.tree is None
    assert loaded.to_dict()["extra_key"] == {"kept": True}


def test_a_file_from_a_newer_composer_is_refused_saying_so(tmp_path):
    path = tmp_path / "v3.json"
    path.write_text(json.dumps({"composer": {"kind": "conversation", "format_version": 3},
                                "messages": []}))
    with pytest.raises(VersionError) as err:
        files.load(path)
    assert "written by a newer Composer" in str(err.value) and str(path) in str(err.value)
    assert err.value.location == "$.composer.format_version"


@pytest.mark.parametrize(("change", "where", "words"), [
    (lambda t: t.update(nodes=5), "$.composer.tree.nodes", "must be an array"),
    (lambda t: t["nodes"][1].update(parent="n99"), "$.composer.tree.nodes[1].parent",
     "not a node listed before"),
    (lambda t: t["nodes"][2].update(id="n1"), "$.composer.tree.nodes[2].id", "used twice"),
    (lambda t: t["nodes"][0].update(row=40), "$.composer.tree.nodes[0].row", "not a row"),
    (lambda t: t["nodes"][0].pop("row"), "$.composer.tree.nodes[0]", "a message or a row"),
    (lambda t: t["nodes"][2].update(message={"role": "wizard"}),
     "$.composer.tree.nodes[2].message.role", "Input should be"),
    (lambda t: t["nodes"][0].update(chosen="n3"), "$.composer.tree.nodes[0].chosen",
     "not a child"),
    (lambda t: t.update(names={"n77": "x"}), "$.composer.tree.names.n77", "not a node"),
    (lambda t: t.update(names={"n2": 5}), "$.composer.tree.names.n2", "must be a string"),
])
def test_a_malformed_tree_is_one_clear_error_naming_the_place(tmp_path, change, where, words):
    data = _with_tree(forked()).to_dict()
    change(data["composer"]["tree"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError) as err:
        files.load(path)
    assert err.value.location == where and words in err.value.problem
    assert err.value.source == str(path)


# -- exports ----------------------------------------------------------------------------------


def test_every_export_writes_the_active_path_and_says_the_other_branches_were_left_out():
    conversation = _with_tree(forked())
    for fmt in formats.exporters():
        exported = formats.export(conversation, fmt.name)
        notes = [str(loss) for loss in exported.losses if "branch" in str(loss)]
        if fmt.name == "composer":
            assert notes == []
        else:
            assert notes == ["1 other branch was not exported (only the active path)"], fmt.name
            assert "q2 again" in exported.text and "r2" not in exported.text.replace(
                "r2 ", ""), fmt.name


def test_convert_reports_the_branches_left_out(tmp_path):
    path = tmp_path / "c.json"
    files.save(_with_tree(forked()), path)
    result = run_cli("convert", str(path), "--to", "openai-chat")
    assert result.returncode == 0
    assert "other branch was not exported (only the active path)" in result.stderr
    assert "q2 again" in result.stdout


# -- the document: SetTree and the branching edits --------------------------------------------


def test_set_tree_replaces_the_rows_after_the_shared_start_and_undoes_as_one():
    document = Document(Conversation(messages=list(ROWS)))
    ids = document.ids
    assert branching.commit(document) == (None, None)  # the rows as opened are committed
    document.conversation.messages[2] = u("q2 again")  # as a plain edit would
    edit, fork = branching.commit(document)
    assert fork == 2
    undo_commit = document.apply(edit)
    assert document.tree is not None and document.ids == ids
    old = document.tree.leaves[0]
    undo_switch = document.apply(branching.switch(document, old))
    assert texts(document.messages) == texts(ROWS)
    assert document.ids[:2] == ids[:2] and document.ids[2:] != ids[2:]
    document.apply(undo_switch)
    assert texts(document.messages) == ["q1", "r1", "q2 again", "r2"]
    assert document.ids == ids  # the same rows came back, not copies
    document.apply(undo_commit)
    assert document.tree is None


def test_stepping_variants_through_the_document_commits_the_table_first_and_undoes():
    document = Document(Conversation(messages=list(ROWS)))
    document.apply(branching.keep_variants(document, [[a("b1")], [a("b2")]], 1))
    assert texts(document.messages) == ["q1", "r1", "q2", "r2", "b2"]
    assert branching.variant_at(document, 4) == (1, 2)
    document.apply(document.apply(branching.step(document, 4, -1)))  # step and undo it
    assert texts(document.messages)[-1] == "b2"
    undo = document.apply(branching.step(document, 4, -1))
    assert texts(document.messages)[-1] == "b1"
    assert branching.step(document, 4, -1) is None
    document.apply(undo)
    assert texts(document.messages)[-1] == "b2"
    # An edit typed in the table is committed before a step: it comes back with the branch.
    document.conversation.messages[0] = u("q1 typed")
    assert branching.step(document, 4, -1) is None  # row 5 of the typed branch has no other
    document.apply(branching.step(document, 0, -1))
    assert texts(document.messages) == ["q1", "r1", "q2", "r2", "b2"]
    assert branching.variant_at(document, 0) == (0, 2)
    leaf = document.tree.leaves[-1]
    document.apply(branching.switch(document, leaf))
    assert texts(document.messages) == ["q1 typed", "r1", "q2", "r2", "b2"]


def test_promote_makes_a_conversation_of_one_branch_with_the_settings():
    document = Document(Conversation(messages=list(ROWS)))
    document.conversation.settings.model = "m1"
    document.conversation.messages[2] = u("q2 again")
    document.apply(branching.commit(document)[0])
    old = document.tree.leaves[0]
    promoted = branching.promote(document, old)
    assert texts(promoted.messages) == texts(ROWS) and promoted.settings.model == "m1"
    assert promoted.tree is None


def test_delete_and_rename_through_the_document_undo():
    document = Document(Conversation(messages=list(ROWS)))
    document.conversation.messages[2] = u("q2 again")
    document.apply(branching.commit(document)[0])
    old = document.tree.leaves[0]
    undo_rename = document.apply(branching.rename(document, old, "first"))
    assert document.tree.name_of(old) == "first"
    undo_delete = document.apply(branching.delete(document, old))
    assert len(document.tree.leaves) == 1
    assert texts(document.messages) == ["q1", "r1", "q2 again", "r2"]
    document.apply(undo_delete)
    document.apply(undo_rename)
    assert len(document.tree.leaves) == 2 and document.tree.name_of(old) == "branch 1"


HOSTILE = (None, True, -1, 10**30, 2.5, "", "n1", "nowhere", [], {}, {"role": "user"})


def test_every_hostile_value_anywhere_in_a_tree_is_one_format_error(tmp_path):
    """Each key of each node, and the tree's own keys, set to each value a bad file could
    hold: the file either opens or is refused with a FormatError, never anything else."""
    good = _with_tree(forked().rename(forked().leaves[0], "a")).to_dict()
    places = [("tree", key) for key in ("nodes", "chosen", "names")]
    places += [(k, key) for k in range(len(good["composer"]["tree"]["nodes"]))
               for key in ("id", "parent", "row", "message", "chosen")]
    opened = refused = 0
    for where, key in places:
        for value in HOSTILE:
            data = json.loads(json.dumps(good))
            tree = data["composer"]["tree"]
            target = tree if where == "tree" else tree["nodes"][where]
            target[key] = value
            try:
                loaded = Conversation.model_validate(data)
            except FormatError as exc:
                assert exc.location and exc.location.startswith("$.composer.tree"), exc
                refused += 1
            else:
                opened += 1
                assert loaded.tree is not None and loaded.tree.path == tuple(
                    p for p in loaded.tree.path if p in loaded.tree)
    assert refused > opened > 0


@pytest.mark.parametrize("added", [1, 3])
def test_rows_added_after_the_committed_ones_commit_as_the_tree_would(added):
    from composer.models.document import CommitRows, InsertRows, ReplaceMessage

    rows = [Message.text("user", "q1"), Message.text("assistant", "r1")]
    document = Document(Conversation(messages=list(rows)))
    document.apply(CommitRows(tuple(rows)))
    more = tuple(Message.text("user", f"q{n}") for n in range(2, 2 + added))
    document.apply(InsertRows(2, more))
    tree, fork = branching.committed(document)  # the tree's way, for comparison
    assert branching.commit(document) == (CommitRows(tuple(document.messages)), None)
    assert fork is None and tree.holds_only(document.messages)
    # an earlier row changed: a branch, as before
    document.apply(ReplaceMessage(0, Message.text("user", "q1 again")))
    edit, fork = branching.commit(document)
    assert fork == 0 and edit is not None and not isinstance(edit, CommitRows)
