"""A suite being edited in the window: the conversation, a table of cases (one column per variable,
``expected``, ``id``), targets as lines, checks as JSON text, repeats and a budget. It turns into
the suite file's data (``to_data``: the core's format, resources/schema/suite.schema.json) and
into a ``Suite`` through the same loader a suite file goes through (``build``), so the window
refuses exactly what ``llm-composer run`` refuses, with the same message.

A target line is ``PRESET:MODEL[,KEY=VALUE]...`` (composer.run.targets.parse_target) or a JSON
object ``{"provider", "model", ...}``; ``#`` starts a comment line. The checks are a JSON array
of check objects (composer.run.testrun.checks). No Qt here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from composer.models import variables
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.files import atomic_write_text, parse_json
from composer.models.linked import LinkedFileError, read_regular
from composer.run.targets import Target, TargetError, parse_target
from composer.run.testrun.cases import RESERVED, Case, CaseError, parse_cases_file
from composer.run.testrun.checks import CheckError, parse_check
from composer.run.testrun.suite import (
    FILE_LIMIT,
    SUITE_VERSION,
    Suite,
    SuiteError,
    _Reader,
    suite_from_data,
)

EXPECTED = "expected"


class SuiteDraft(Struct):
    conversation: Conversation
    columns: list[str] = field(default_factory=list)  # the cases table's columns, in order
    rows: list[dict[str, str]] = field(default_factory=list)
    targets_text: str = ""
    checks_text: str = ""  # a JSON array; empty: no checks
    repeats: int = 1
    budget_usd: float | None = None
    name: str = "suite"
    base_dir: Path | None = None  # where relative paths (attachments) are read from

    @classmethod
    def from_conversation(cls, conversation: Conversation, name: str = "suite",
                          base_dir: Path | None = None) -> SuiteDraft:
        """A suite over ``conversation``: its variables become the case columns (with
        ``expected``), its own values the first case, its own provider and model the target."""
        names = list(variables.find(conversation))
        own = conversation.variable_values
        columns = [*names, EXPECTED]
        settings = conversation.settings
        target = f"{settings.provider}:{settings.model}" if settings.provider else ""
        if target and settings.base_url:
            target += f",base_url={settings.base_url}"
        row = {n: str(own.get(n, "")) for n in columns}
        return cls(conversation.model_copy(deep=True), columns, [row] if names else [],
                   target, "", name=name, base_dir=base_dir)

    @classmethod
    def from_suite(cls, suite: Suite) -> SuiteDraft:
        rows = [case_row(case) for case in suite.cases]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        for name in variables.find(suite.conversation):
            if name not in columns:
                columns.append(name)
        checks = json.dumps([c.to_dict() for c in suite.checks], indent=2, ensure_ascii=False)
        return cls(suite.conversation.model_copy(deep=True), columns, rows,
                   "\n".join(target_line(t) for t in suite.targets), checks, suite.repeats,
                   suite.budget_usd, suite.name,
                   Path(suite.source).resolve().parent if suite.source else None)

    def take_conversation(self, conversation: Conversation) -> None:
        """Use ``conversation`` (edited since), keeping the cases, targets and checks: a new
        variable becomes a column (its value in the conversation fills the cases left
        without one)."""
        self.conversation = conversation.model_copy(deep=True)
        own = conversation.variable_values
        names = self.variable_names()
        for name in names:
            if name not in self.columns:
                for row in self.rows:
                    row.setdefault(name, str(own.get(name, "")))
        self.columns = [*names, *(c for c in self.columns if c not in names)]

    def variable_names(self) -> list[str]:
        return list(variables.find(self.conversation))

    def case_items(self) -> list[dict[str, Any]]:
        """The rows as the suite file's inline cases (rows left blank are not cases)."""
        return [{k: v for k, v in row.items() if k in self.columns}
                for row in self.rows if any(str(v).strip() for v in row.values())]

    def to_data(self) -> dict[str, Any]:
        """The suite file's JSON data; SuiteError for a bad target line or bad checks."""
        cases = self.case_items()
        data: dict[str, Any] = {
            "composer": {"kind": "suite", "format_version": SUITE_VERSION},
            "name": self.name or "suite",
            "conversation": self.conversation.to_dict(),
            "targets": parse_target_lines(self.targets_text),
            "checks": parse_checks_text(self.checks_text),
            "repeats": self.repeats,
        }
        if cases:
            data["cases"] = cases
        if self.budget_usd is not None:
            data["budget_usd"] = self.budget_usd
        return data

    def build(self, source: str = "suite") -> Suite:
        """The suite, through the loader a suite file goes through (SuiteError naming the
        place: ``cases[2]: no value for {{city}} (used in row 2)``)."""
        suite = suite_from_data(self.to_data(), _Reader(self.base_dir, source, False,
                                                        "Allow Paths"))
        suite.name = self.name or "suite"
        return suite

    def save(self, path: str | Path) -> None:
        """Write the suite file (atomic); SuiteError when the draft is not a valid suite."""
        path = Path(path)
        self.base_dir = path.resolve().parent
        self.build(str(path))
        atomic_write_text(path, json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n")

    def set_cases(self, cases: list[Case]) -> None:
        """Replace the table with ``cases`` (loaded from a file); columns of the variables stay
        first, then ``expected``, then any others."""
        self.rows = [case_row(case) for case in cases]
        found = list(dict.fromkeys(k for row in self.rows for k in row))
        names = self.variable_names()
        self.columns = [*names, *(c for c in (EXPECTED,) if c not in names),
                        *(c for c in found if c not in names and c != EXPECTED)]


def case_row(case: Case) -> dict[str, str]:
    row = dict(case.values)
    if case.messages:
        row["messages"] = json.dumps([m.to_dict() for m in case.messages], ensure_ascii=False)
    return row


def load_cases(path: str | Path) -> list[Case]:
    """The cases in a CSV, JSONL or JSON file, read with the core's loader (CaseError naming
    the file and the line; blocking I/O)."""
    path = Path(path)
    try:
        data = read_regular(path, FILE_LIMIT)
    except LinkedFileError as exc:
        raise CaseError(str(exc)) from None
    return parse_cases_file(data, path, path.name)


def target_line(target: Target) -> str:
    """A target as one editable line: ``PRESET:MODEL[,base_url=…][,label=…]``, or its JSON
    object when it carries options the short form cannot say exactly."""
    if target.options or target.extra_body or "," in (target.model + (target.base_url or "")
                                                      + target.label):
        return json.dumps(target.to_dict(), ensure_ascii=False)
    line = f"{target.provider}:{target.model}"
    if target.base_url:
        line += f",base_url={target.base_url}"
    if target.label:
        line += f",label={target.label}"
    return line


def parse_target_lines(text: str) -> list[str | dict[str, Any]]:
    """The targets of the editor's lines; SuiteError naming the line."""
    out: list[str | dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("{"):
                try:
                    value = parse_json(line)
                except FormatError as exc:
                    raise TargetError(exc.problem) from None
                Target.from_dict(value, "target").preset()
                out.append(value)
            else:
                parse_target(line)
                out.append(line)
        except TargetError as exc:
            raise SuiteError(f"targets line {number}: {exc}") from None
    if not out:
        raise SuiteError("targets: give at least one target, e.g. openai:gpt-4o-mini")
    return out


def parse_checks_text(text: str) -> list[dict[str, Any]]:
    """The checks of the editor's JSON text (an array of check objects); SuiteError naming the
    line or the check."""
    if not text.strip():
        return []
    try:
        value = parse_json(text, "checks")
    except FormatError as exc:
        raise SuiteError(exc.one_line()) from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise SuiteError("checks: expected a JSON array of checks")
    try:
        for i, item in enumerate(value):
            parse_check(item, i)
    except CheckError as exc:
        raise SuiteError(str(exc)) from None
    return value


__all__ = ["EXPECTED", "RESERVED", "SuiteDraft", "case_row", "load_cases", "parse_checks_text",
           "parse_target_lines", "target_line"]
