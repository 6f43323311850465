"""The window's test-run helpers without Qt: a suite drafted from a conversation (variables become
case columns) turned into the core's suite file and Suite, target lines and checks text with the
core's messages, cases loaded from files; the results grid (symbols per repeat, status, the
reply shown, filters, column figures, baseline deltas) over a real run's folder."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest

from composer.models.conversation import Conversation, FileHeader
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.paths import SCHEMAS
from composer.run.prepare import prepare_call
from composer.run.targets import Target, parse_target
from composer.run.testrun import Runner, SuiteError, load_run, load_suite
from composer.run.testrun.cases import CaseError
from composer.run.testrun.draft import (
    SuiteDraft,
    load_cases,
    parse_checks_text,
    parse_target_lines,
    target_line,
)
from composer.run.testrun.grid import Grid
from tests import cassettes
from tests.conftest import recordings_or_skip
from tests.loopback import LoopbackServer, Reply

OPENAI = "TestOpenAICommon/openai-gpt-4o/simple_streaming.yaml"  # "Olá!"


def conversation(**settings) -> Conversation:
    return Conversation(
        messages=[Message.text("user", "Say hi in {{lang}} to {{name}}")],
        settings=RequestSettings(provider="openai", model="gpt-4o-mini", **settings),
        composer=FileHeader(kind="conversation", format_version=1,
                            variables={"lang": "Portuguese", "name": "Ana"}))


def test_a_draft_from_a_conversation_has_its_variables_as_columns_and_its_values_as_a_case():
    draft = SuiteDraft.from_conversation(conversation(), name="hi")
    assert draft.columns == ["lang", "name", "expected"]
    assert draft.rows == [{"lang": "Portuguese", "name": "Ana", "expected": ""}]
    assert draft.targets_text == "openai:gpt-4o-mini"
    suite = draft.build()
    assert suite.name == "hi" and [c.values for c in suite.cases] == draft.rows
    assert [t.name for t in suite.targets] == ["openai:gpt-4o-mini"]


def test_the_draft_saves_the_cores_suite_format_and_loads_back(tmp_path):
    draft = SuiteDraft.from_conversation(conversation(), name="hi")
    draft.rows.append({"lang": "Spanish", "name": "Juan", "expected": "Hola"})
    draft.rows.append({"lang": "", "name": "", "expected": ""})  # a blank row is not a case
    draft.targets_text = ("# two targets\nopenai:gpt-4o-mini,temperature=0\n"
                          '{"provider": "anthropic", "model": "claude-sonnet-4-5", '
                          '"label": "claude"}\n')
    draft.checks_text = '[{"kind": "contains", "value": "{{expected}}"}]'
    draft.repeats, draft.budget_usd = 2, 0.5
    path = tmp_path / "hi.suite.json"
    draft.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads((SCHEMAS / "suite.schema.json").read_text()))
    suite = load_suite(path)
    assert len(suite.cases) == 2 and suite.repeats == 2 and suite.budget_usd == 0.5
    assert [t.name for t in suite.targets] == ["openai:gpt-4o-mini", "claude"]
    assert suite.targets[0].options == {"temperature": 0.0}
    again = SuiteDraft.from_suite(suite)
    assert again.rows == [r for r in draft.rows if any(r.values())]
    assert again.build().targets == suite.targets
    assert json.loads(again.checks_text) == data["checks"]


def test_bad_targets_and_checks_are_refused_with_the_cores_message_naming_the_line():
    with pytest.raises(SuiteError, match=r"^targets line 2: .*'nope'"):
        parse_target_lines("openai:gpt-4o\nnope:model")
    with pytest.raises(SuiteError, match=r"^targets line 1: "):
        parse_target_lines('{"provider": "openai", "model": ')
    with pytest.raises(SuiteError, match="give at least one target"):
        parse_target_lines("# nothing\n")
    with pytest.raises(SuiteError, match=r"^checks\[1\]: unknown kind 'contain'"):
        parse_checks_text('[{"kind": "equals", "value": "a"}, {"kind": "contain"}]')
    with pytest.raises(SuiteError, match=r"^checks: line 2"):
        parse_checks_text('[\n{"kind": }]')
    assert parse_checks_text("") == []
    draft = SuiteDraft.from_conversation(conversation())
    draft.rows[0].pop("name")
    with pytest.raises(SuiteError, match=r"cases\[0\]: no value for \{\{name\}\}"):
        draft.build()


def test_a_target_line_round_trips_and_options_become_json():
    plain = parse_target("ollama:llama3.2:1b,base_url=http://localhost:11434,label=local")
    assert target_line(plain) == "ollama:llama3.2:1b,base_url=http://localhost:11434,label=local"
    assert parse_target(target_line(plain)) == plain
    tuned = parse_target("openai:gpt-4o,temperature=0.2")
    line = target_line(tuned)
    assert json.loads(line)["options"] == {"temperature": 0.2}
    assert Target.from_dict(json.loads(line)) == tuned


def test_cases_from_a_file_replace_the_table_and_a_bad_line_is_named(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text('{"lang": "Galician", "name": "Xoán", "note": "x"}\n{"lang": \n',
                    encoding="utf-8")
    with pytest.raises(CaseError, match=r"^cases.jsonl line 2: "):
        load_cases(path)
    path.write_text('{"lang": "Galician", "name": "Xoán", "note": "x"}\n', encoding="utf-8")
    draft = SuiteDraft.from_conversation(conversation())
    draft.set_cases(load_cases(path))
    assert draft.columns == ["lang", "name", "expected", "note"]
    assert draft.rows == [{"lang": "Galician", "name": "Xoán", "note": "x"}]


# -- the grid over a real run ---------------------------------------------------------------------


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    body = cassettes.load(recordings_or_skip() / OPENAI).interactions[0].response_body
    made = LoopbackServer().start()
    made.queue(*[Reply.sse(body) for _ in range(30)])
    yield made
    made.stop()


def run_suite(server, folder, expected: list[str], repeats: int = 2):
    draft = SuiteDraft.from_conversation(conversation(), name="hi")
    draft.rows = [{"lang": f"L{i}", "name": "Ana", "expected": e}
                  for i, e in enumerate(expected)]
    url = f"{server.url}/v1"
    draft.targets_text = f"openai-chat:gpt-4o,base_url={url}\nopenai-chat:gpt-4o,base_url={url}" \
                         ",label=second"
    draft.checks_text = json.dumps([{"kind": "contains", "value": "{{expected}}"},
                                    {"kind": "latency", "under_ms": 60000}])
    draft.repeats = repeats
    runner = Runner(draft.build(), folder,
                    lambda c, client: prepare_call(c, client=client, chosen=True).call)
    return asyncio.run(runner.run())


def test_the_grid_shows_symbols_per_repeat_figures_per_column_and_filters(server, tmp_path):
    summary = run_suite(server, tmp_path / "run", ["Olá", "Adeus", "Olá"])
    grid = Grid.of_summary(load_run(tmp_path / "run"))
    assert (grid.rows, grid.columns) == (3, 2)
    assert grid.cell(0, 0).symbols() == "✓✓" and grid.cell(1, 1).symbols() == "✗✗"
    assert grid.cell(1, 0).status == "fail"
    assert grid.cell(0, 0).preview() == "Olá!"
    tip = grid.cell(1, 0).tooltip()
    assert "repeat 2: fail" in tip and "✗ fail · contains '{{expected}}': reply does not " \
        "contain 'Adeus'" in tip and "✓ pass · latency < 60000 ms" in tip
    header = grid.header(1).splitlines()
    assert header[:2] == ["second", "pass 67% (4/6)"]
    assert header[2].startswith("$0.00") and header[2].endswith(" ms")
    assert grid.visible_rows(only_failures=True) == [1]
    assert grid.visible_rows(only_differ=True) == []  # both targets agree everywhere
    assert grid.case_title(1) == "case-2\nL1"
    # live: the same grid filled cell by cell gives the same picture
    live = Grid(summary.suite)
    for result in summary.results:
        live.started(result.cell.target_index, result.cell.case.id)
        assert live.cell(*live.where(result)).status in ("running", "pass", "fail")
        live.add(result)
    assert [[c.symbols() for c in row] for row in live.cells] == \
        [[c.symbols() for c in row] for row in grid.cells]
    assert [s.to_dict() for s in live.stats()] == [s.to_dict() for s in summary.stats()]


def test_a_mixed_cell_shows_the_repeat_that_explains_it_and_rows_that_differ(server, tmp_path):
    summary = run_suite(server, tmp_path / "run", ["Olá", "Olá"])
    grid = Grid.of_summary(summary)
    failing = next(r for r in summary.results if r.cell.key == (1, "case-2", 2))
    failing.status = "fail"  # as if the second target's second repeat had failed
    cell = grid.cell(1, 1)
    assert cell.symbols() == "✓✗" and cell.status == "fail"
    assert cell.first() is failing
    assert grid.visible_rows(only_differ=True) == [1]


def test_a_baseline_gives_pass_rate_deltas_and_the_changed_cells(server, tmp_path):
    run_suite(server, tmp_path / "before", ["Adeus", "Adeus"], repeats=1)
    run_suite(server, tmp_path / "after", ["Olá", "Adeus"], repeats=1)
    grid = Grid.of_summary(load_run(tmp_path / "after"))
    comparison = grid.set_baseline(load_run(tmp_path / "before"), "before")
    assert [round(t.pass_delta, 2) for t in comparison.targets] == [0.5, 0.5]
    assert grid.header(0).splitlines()[1] == "pass 50% (1/2) ▲50%"
    assert grid.changed(0, 0) == [1] and grid.changed(1, 0) == []
    grid.set_baseline(None)
    assert grid.changed(0, 0) == [] and grid.header(0).splitlines()[1] == "pass 50% (1/2)"
