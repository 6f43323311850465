"""The test-run workspace in the window: a suite built from a conversation with variables, cases
edited in the window, two targets on loopback servers of two protocols replaying recorded
replies, checks that pass and fail; the results grid (verdicts, pass rates), its filters, a cell
opened, two cells diffed, the run folder reopened, Resume (counted on the server), a baseline,
a bad cases file, the suite saved in the core's format."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jsonschema
import pytest
import shiboken6
from PySide6.QtCore import Qt

from composer.models.conversation import Conversation, FileHeader
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.paths import SCHEMAS
from composer.run.testrun import load_suite
from composer.views.results.blocks import TextBlock
from composer.views.testrun.grid_view import CellRole
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import LoopbackServer, Reply

OPENAI = "TestOpenAICommon/openai-gpt-4o/simple_streaming.yaml"  # "Olá!"
ANTHROPIC = "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"  # "Olá! (That's ..."
# expected per case: both replies contain "Olá"; only Anthropic's names Portuguese; none "Hola".
CASES = [("Portuguese", "Olá"), ("Galician", "Portuguese"), ("Spanish", "Hola")]


def recorded(name: str) -> str:
    return cassettes.load(recordings_or_skip() / name).interactions[0].response_body


@pytest.fixture
def servers(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    made = {"openai": LoopbackServer().start(), "anthropic": LoopbackServer().start()}
    bodies = {"openai": recorded(OPENAI), "anthropic": recorded(ANTHROPIC)}
    for name, server in made.items():
        server.queue(*[Reply.sse(bodies[name]) for _ in range(40)])
    yield made
    for server in made.values():
        server.stop()


def conversation(servers) -> Conversation:
    return Conversation(
        messages=[Message.text("system", "You are a helpful assistant"),
                  Message.text("user", "Say hi in {{lang}}")],
        settings=RequestSettings(provider="openai-chat", model="gpt-4o",
                                 base_url=servers["openai"].url + "/v1"),
        composer=FileHeader(kind="conversation", format_version=1,
                            variables={"lang": "Portuguese"}))


def targets(servers) -> str:
    anthropic = {"provider": "anthropic", "model": "claude-sonnet-4-20250514",
                 "base_url": servers["anthropic"].url, "options": {"max_tokens": 4000}}
    return f"openai-chat:gpt-4o,base_url={servers['openai'].url}/v1\n{json.dumps(anthropic)}"


CHECKS = json.dumps([{"kind": "contains", "value": "{{expected}}"},
                     {"kind": "latency", "under_ms": 30000}])


def build(qtbot, make_window, servers):
    """The workspace over a conversation with {{lang}}: three cases typed in, two targets."""
    window = make_window(conversation(servers))
    ws = window.run_ui.test_runs.show_workspace()
    editor = ws.editor
    assert ws.draft.columns == ["lang", "expected"]
    assert ws.draft.rows == [{"lang": "Portuguese", "expected": ""}]  # the panel's value
    model = editor.cases
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    for row, (lang, expected) in enumerate(CASES):
        assert model.setData(model.index(row, 0), lang)
        assert model.setData(model.index(row, 1), expected)
    editor.targets.setPlainText(targets(servers))
    editor.checks.setPlainText(CHECKS)
    assert editor.targets_problem.isHidden() and editor.checks_problem.isHidden()
    return window, ws


def test_from_conversation_takes_a_new_variable_as_a_column_and_keeps_the_cases(
        qtbot, make_window, servers):
    window, ws = build(qtbot, make_window, servers)
    window.editor.set_text(1, "Say hi in {{lang}} to {{name}}")  # edited in the main window
    ws.from_conversation_action.trigger()
    assert ws.draft.columns == ["lang", "name", "expected"]
    assert [r["lang"] for r in ws.draft.rows] == [lang for lang, _ in CASES]
    assert ws.editor.cases.headerData(1, Qt.Orientation.Horizontal) == "{{name}}"


def run(qtbot, ws, folder: Path, *, resume: bool = False, trust: bool = True):
    """Start (or resume) a run into ``folder``, confirm the plan, wait for the end; the
    question's text."""
    if resume:
        ws.resume_action.trigger()
    else:
        ws.choose_file = lambda title, default, then: then(folder)
        ws.run_action.trigger()
    qtbot.waitUntil(lambda: ws.control.question is not None, timeout=5000)
    box = ws.control.question
    text = f"{box.text()}\n{box.informativeText()}"
    if trust and box.checkBox() is not None:
        box.checkBox().setChecked(True)
    run_button = next(b for b in box.buttons() if b.text() == "Run")
    qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.control.task is not None and ws.control.task.done(), timeout=20000)
    ws.model.flush()
    return text


def cells(ws) -> dict[tuple[str, str], str]:
    """(case, target) -> the cell's symbols, for every row the grid shows."""
    model, grid = ws.model, ws.grid
    out = {}
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            cell = model.index(r, c).data(CellRole)
            out[(grid.suite.cases[model.rows[r]].id, grid.suite.targets[c].name)] = \
                cell.symbols()
    return out


def headers(ws) -> list[str]:
    return [ws.model.headerData(c, Qt.Orientation.Horizontal) for c in
            range(ws.model.columnCount())]


OA, AN = "openai-chat:gpt-4o", "anthropic:claude-sonnet-4-20250514"
EXPECTED = {("case-1", OA): "✓", ("case-1", AN): "✓", ("case-2", OA): "✗",
            ("case-2", AN): "✓", ("case-3", OA): "✗", ("case-3", AN): "✗"}


def test_a_suite_built_from_the_conversation_runs_and_the_grid_shows_its_verdicts(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    assert window.run_ui.test_runs.open_action.shortcut().toString() == "Ctrl+Alt+R"
    assert window.run_ui.test_runs.open_action in window.run_ui.menu.actions()
    file_menu = window.commands.recent_menu.parentWidget()
    assert window.run_ui.test_runs.open_run_action in file_menu.actions()  # File ▸ Open Test Run

    text = run(qtbot, ws, tmp_path / "run1")

    assert "6 cells (2 targets × 3 cases × 1 repeat)" in text
    assert "To send: 6 calls" in text
    assert "not sending your OpenAI (Chat Completions) API key" in text  # held back, asked
    assert len(servers["openai"].received) == 3 and len(servers["anthropic"].received) == 3
    assert cells(ws) == EXPECTED
    first, second = headers(ws)
    assert first.splitlines()[:2] == [OA, "pass 33% (1/3)"]
    assert second.splitlines()[:2] == [AN, "pass 67% (2/3)"]
    assert first.splitlines()[2].endswith(" ms") and "$" in first
    # colour and symbol; the tooltip says every verdict's why
    index = ws.model.index(1, 0)
    assert index.data().startswith("✗  fail\nOlá!")
    assert "✗ fail · contains '{{expected}}': reply does not contain 'Portuguese'" in \
        index.data(Qt.ItemDataRole.ToolTipRole)
    assert "✓ pass · latency < 30000 ms" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.BackgroundRole) != \
        ws.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert "Run done: 3 pass · 3 fail · 0 error · 0 not run" in ws.statusBar().currentMessage()

    # filters
    ws.only_failures.setChecked(True)
    assert [k[0] for k in cells(ws)][::2] == ["case-2", "case-3"]
    ws.only_differ.setChecked(True)
    assert set(cells(ws)) == {("case-2", OA), ("case-2", AN)}
    ws.only_failures.setChecked(False)
    ws.only_differ.setChecked(False)
    assert ws.model.rowCount() == 3

    # a cell opened: its reply in the pane, its verdicts beside it
    ws.view.setCurrentIndex(ws.model.index(1, 1))
    assert ws.pane.blocks_of(TextBlock)[0].text.startswith("Olá! (That's")
    assert "reply contains 'Portuguese'" in ws.verdicts.toPlainText()
    assert AN in ws.pane.title.text() and "case-2" in ws.pane.title.text()

    # two cells diffed
    selection = ws.view.selectionModel()
    selection.select(ws.model.index(1, 0), selection.SelectionFlag.Select)
    assert ws.diff_action.isEnabled()
    diff = ws.diff_selected()
    assert diff is not None and diff.isVisible()
    assert diff.titles == (f"{OA} · case-2", f"{AN} · case-2")
    diff.close()


def test_the_targets_share_the_grids_width_until_the_user_sizes_a_column(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    run(qtbot, ws, tmp_path / "run1")
    view = ws.view
    qtbot.waitUntil(lambda: view.isVisible())

    def widths() -> list[int]:
        return [view.columnWidth(c) for c in range(2)]

    assert abs(widths()[0] - widths()[1]) <= 2
    assert sum(widths()) >= view.viewport().width() - 2  # side by side, the whole width
    ws.resize(ws.width() + 200, ws.height())
    qtbot.waitUntil(lambda: abs(widths()[0] - widths()[1]) <= 2 and
                    sum(widths()) >= view.viewport().width() - 2)
    view.horizontalHeader().resizeSection(0, 300)  # the user's width stays
    ws.resize(ws.width() - 100, ws.height())
    qtbot.waitUntil(lambda: sum(widths()) >= view.viewport().width() - 2)
    assert widths()[0] == 300


def test_the_run_folder_reopens_to_the_same_grid_and_resume_sends_only_the_missing_cell(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    folder = tmp_path / "run1"
    run(qtbot, ws, folder)
    before_cells, before_headers = cells(ws), headers(ws)

    fresh = window.run_ui.test_runs.show_workspace(fresh=True)
    assert fresh is not ws
    task = fresh.open_run(folder)
    qtbot.waitUntil(task.done, timeout=5000)
    assert cells(fresh) == before_cells
    assert [h.splitlines()[:2] for h in headers(fresh)] == \
        [h.splitlines()[:2] for h in before_headers]
    assert fresh.draft.rows[1]["expected"] == "Portuguese"  # the suite as run, to edit
    assert not fresh.resume_action.isEnabled()  # nothing missing

    (folder / "cells/t2-anthropic-claude-sonnet-4-20250514/c002-case-2.r1.json").unlink()
    task = fresh.open_run(folder)
    qtbot.waitUntil(task.done, timeout=5000)
    assert cells(fresh)[("case-2", AN)] == "·"
    assert fresh.resume_action.isEnabled()
    sent = {name: len(s.received) for name, s in servers.items()}
    text = run(qtbot, fresh, folder, resume=True)
    assert "5 already done" in text and "To send: 1 call" in text
    assert len(servers["anthropic"].received) == sent["anthropic"] + 1
    assert len(servers["openai"].received) == sent["openai"]
    assert cells(fresh) == before_cells


def test_a_baseline_run_gives_pass_rate_deltas_and_marks_the_changed_cells(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    run(qtbot, ws, tmp_path / "base")
    model = ws.editor.cases
    assert model.setData(model.index(2, 1), "Olá")  # case-3 now expects what both say
    run(qtbot, ws, tmp_path / "now")
    task = ws.set_baseline(tmp_path / "base")
    qtbot.waitUntil(task.done, timeout=5000)
    first, second = headers(ws)
    assert first.splitlines()[1] == "pass 67% (2/3) ▲33%"
    assert second.splitlines()[1] == "pass 100% (3/3) ▲33%"
    changed = ws.model.index(2, 0)
    assert changed.data().startswith("◆ ✓")
    assert "changed against the baseline base" in changed.data(Qt.ItemDataRole.ToolTipRole)
    assert not ws.model.index(0, 0).data().startswith("◆")
    assert "2 cell(s) changed" in ws.baseline_label.text()


def test_a_bad_cases_file_is_named_by_line_and_a_good_one_fills_the_table(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    bad = tmp_path / "cases.csv"
    bad.write_text("lang,expected\nPortuguese,Olá\nSpanish,Hola,extra\n", encoding="utf-8")
    task = ws.load_cases_file(bad)
    qtbot.waitUntil(task.done, timeout=5000)
    problem = ws.editor.cases_problem
    assert problem.isVisible()
    assert problem.text() == "cases.csv line 3: 3 fields, the header has 2"
    assert len(ws.draft.rows) == 3  # nothing typed is lost

    good = tmp_path / "cases.jsonl"
    good.write_text('{"id": "pt", "lang": "Portuguese", "expected": "Olá"}\n'
                    '{"id": "gl", "lang": "Galician", "expected": "Olá"}\n', encoding="utf-8")
    task = ws.load_cases_file(good)
    qtbot.waitUntil(task.done, timeout=5000)
    assert not problem.isVisible()
    assert ws.draft.columns == ["lang", "expected", "id"]
    assert [r["id"] for r in ws.draft.rows] == ["pt", "gl"]


def test_the_suite_saves_in_the_cores_format_and_bad_checks_are_said(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    editor = ws.editor
    editor.checks.setPlainText('[{"kind": "contain", "value": "x"}]')
    assert not editor.checks_problem.isHidden()
    assert editor.tabs.tabText(2) == "Checks ⚠"
    assert editor.checks_problem.text().startswith("checks[0]: unknown kind 'contain'")
    assert not ws.save_suite(tmp_path / "x.suite.json")
    assert "checks[0]: unknown kind 'contain'" in ws.statusBar().currentMessage()
    editor.checks.setPlainText(CHECKS)
    editor.repeats.setValue(2)
    path = tmp_path / "hi.suite.json"
    assert ws.save_suite(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((SCHEMAS / "suite.schema.json").read_text())
    jsonschema.validate(data, schema)
    suite = load_suite(path)
    assert [c.values["lang"] for c in suite.cases] == [lang for lang, _ in CASES]
    assert [t.name for t in suite.targets] == [OA, AN] and suite.repeats == 2
    # a case left without its variable is refused naming the case, before any folder is made
    ws.editor.cases.add_row({"expected": "x"})
    ws.draft.rows[-1].pop("lang")
    ws.choose_file = lambda title, default, then: pytest.fail("asked for a folder")
    ws.run_action.trigger()
    assert "no value for {{lang}}" in ws.statusBar().currentMessage()
    assert shiboken6.isValid(window)
    ws.editor.checks.setPlainText(CHECKS + " ")  # the next edit takes the stale problem away
    assert ws.statusBar().currentMessage() == ""


def test_a_new_suites_first_run_folder_is_offered_under_runs_beside_it(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    ws.base_dir = tmp_path  # runs/ is not there yet
    ws.run_action.trigger()
    dialog = ws.dialog
    assert dialog is not None and dialog.isVisible()
    chosen = Path(dialog.selectedFiles()[0])
    assert chosen.parent == tmp_path / "runs" and chosen.name.startswith("suite-")
    dialog.reject()



def test_stop_keeps_the_finished_cells_and_resume_is_offered(qtbot, make_window, servers,
                                                              tmp_path):
    body = recorded(OPENAI)
    slow = LoopbackServer().start()
    go_on = threading.Event()  # the calls after the first are held until then
    slow.queue(Reply.sse(body),
               *[Reply.sse(body, stall_before=0, stall=10, until=go_on) for _ in range(5)])
    try:
        window, ws = build(qtbot, make_window, servers)
        ws.editor.targets.setPlainText(f"openai-chat:gpt-4o,base_url={slow.url}/v1")
        ws.choose_file = lambda title, default, then: then(tmp_path / "run")
        ws.run_action.trigger()
        qtbot.waitUntil(lambda: ws.control.question is not None, timeout=5000)
        box = ws.control.question
        box.checkBox().setChecked(True)
        qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Run"),
                         Qt.MouseButton.LeftButton)
        assert ws.stop_action.isEnabled() and not ws.run_action.isEnabled()
        # one call at a time to a local server: the first finishes, then Stop
        qtbot.waitUntil(lambda: ws.grid.summary().counts()["pass"] == 1, timeout=5000)
        ws.stop_action.trigger()
        qtbot.waitUntil(lambda: not ws.control.running, timeout=5000)
        assert "Run done (stopped): 1 pass" in ws.statusBar().currentMessage()
        assert ws.resume_action.isEnabled() and ws.run_action.isEnabled()
        assert [c.symbols() for row in ws.grid.cells for c in row] == ["✓", "·", "·"]
        assert ws.model.index(1, 0).data() == "·  not run"  # the stopped call is not running
    finally:
        go_on.set()
        slow.stop()



def test_without_the_users_say_so_no_key_goes_to_the_suites_base_urls_and_nothing_is_sent(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    text = run(qtbot, ws, tmp_path / "run", trust=False)
    assert "Held back:" in text and text.count("not sending your") == 2
    assert ws.statusBar().currentMessage().startswith(
        "Not started: target openai-chat:gpt-4o: not sending your OpenAI (Chat Completions) "
        "API key to http://127.0.0.1:")
    assert not servers["openai"].received and not servers["anthropic"].received
    assert ws.run_action.isEnabled() and not ws.stop_action.isEnabled()
    assert not (tmp_path / "run" / "cells").exists()


def test_repeats_show_inside_a_cell_and_one_cell_diffs_two_of_its_repeats(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    ws.editor.repeats.setValue(2)
    text = run(qtbot, ws, tmp_path / "run")
    assert "× 2 repeats)" in text and "To send: 12 calls" in text
    assert cells(ws) == {k: v * 2 for k, v in EXPECTED.items()}
    assert headers(ws)[0].splitlines()[1] == "pass 33% (2/6)"
    ws.view.setCurrentIndex(ws.model.index(0, 1))
    assert ws.repeat_choice.isVisible()
    assert [ws.repeat_choice.itemText(i) for i in range(2)] == ["Repeat 1: pass",
                                                                 "Repeat 2: pass"]
    assert ws.verdicts.toPlainText().count("repeat ") == 2
    assert ws.diff_action.isEnabled()
    diff = ws.diff_selected()
    assert diff.titles == (f"{AN} · case-1 · repeat 1", f"{AN} · case-1 · repeat 2")
    diff.close()


def test_the_budget_stops_new_calls_and_says_so(qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    ws.editor.budget.setValue(0.0005)  # about one call of each target
    assert ws.draft.budget_usd == 0.0005
    text = run(qtbot, ws, tmp_path / "run")
    assert "Budget: $0.0005" in text
    sent = len(servers["openai"].received) + len(servers["anthropic"].received)
    assert 1 <= sent < 6
    message = ws.statusBar().currentMessage()
    assert message.startswith("Run done: ") and ". Budget reached: $0.000" in message
    assert f"{6 - sent} cell(s) not sent (Resume goes on)" in message
    assert ws.resume_action.isEnabled()


def test_pick_targets_reuses_the_compare_dialog_and_writes_its_rows_back_as_lines(
        qtbot, make_window, servers):
    window, ws = build(qtbot, make_window, servers)
    dialog = ws.pick_targets()
    assert dialog.windowTitle() == "Test Run Targets" and dialog.send_button.text() == "&Use"
    assert [row.model.currentText() for row in dialog.rows] == ["gpt-4o",
                                                                "claude-sonnet-4-20250514"]
    dialog.rows[0].params["temperature"].setText("0.5")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    lines = ws.editor.targets.toPlainText().splitlines()
    assert json.loads(lines[0]) == {"provider": "openai-chat", "model": "gpt-4o",
                                    "base_url": servers["openai"].url + "/v1",
                                    "options": {"temperature": 0.5}}
    assert json.loads(lines[1])["options"] == {"max_tokens": 4000}
    assert [t.name for t in ws.draft.build().targets] == [OA, AN]


def test_cancelling_the_plan_sends_nothing_and_run_is_offered_again(
        qtbot, make_window, servers, tmp_path):
    window, ws = build(qtbot, make_window, servers)
    ws.choose_file = lambda title, default, then: then(tmp_path / "run")
    ws.run_action.trigger()
    qtbot.waitUntil(lambda: ws.control.question is not None, timeout=5000)
    assert not ws.run_action.isEnabled() and not ws.stop_action.isEnabled()
    assert [ws.grid.cell(r, c).symbols() for r in range(3) for c in range(2)] == ["·"] * 6
    assert ws.model.headerData(0, Qt.Orientation.Horizontal).splitlines()[1:] == \
        ["pass –", "– · –"]  # the plan, before anything is sent
    ws.control.question.reject()
    assert ws.run_action.isEnabled() and ws.statusBar().currentMessage() == "Not started"
    assert not servers["openai"].received and not servers["anthropic"].received
