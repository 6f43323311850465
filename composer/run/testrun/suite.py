"""A suite: a conversation, the cases that fill its variables, the targets it goes to, the checks
each reply must pass, how many times each cell is sent, and a budget.

The file (resources/schema/suite.schema.json; an example in resources/examples/)::

    {"composer": {"kind": "suite", "format_version": 1},
     "name": "weather",
     "conversation": "weather.json",            # a path (any format Composer imports), or inline
     "cases": "cities.csv",                     # a .csv/.jsonl/.json path, or a list of objects
     "targets": ["openai:gpt-4o-mini", {"provider": "anthropic", "model": "claude-..."}],
     "checks": [{"kind": "contains", "value": "{{expected}}", "ignore_case": true}],
     "repeats": 1, "budget_usd": 0.50}

Only ``conversation`` is required: no cases is one case without values, no targets is the
conversation's own provider and model. Paths are relative to the suite's folder and read only
inside it (the rules of composer.models.linked) unless the user allows more. What is refused,
naming it and where: a variable the conversation or a check uses that a case does not give, an
unknown target preset, an unknown check kind, a field the file does not know. A case column
nothing uses is a warning.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from composer.models import formats, variables
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError, FormatError, VersionError
from composer.models.files import parse_json
from composer.models.linked import LinkedFileError, is_inside, load_for_cli, read_regular, resolve
from composer.run.targets import Target, TargetError, parse_target
from composer.run.testrun.cases import RESERVED, Case, CaseError, inline_cases, parse_cases_file
from composer.run.testrun.checks import Check, CheckError, parse_check

SUITE_VERSION = 1
FIELDS = ("composer", "name", "conversation", "cases", "targets", "checks", "repeats",
          "budget_usd", "description")
MAX_REPEATS = 1000
FILE_LIMIT = 50 * 1024 * 1024  # a cases or conversation file bigger than this is refused


class SuiteError(ComposerError):
    """A suite that cannot be run: one line naming the file, the place and the problem."""


class Suite(Struct):
    conversation: Conversation
    cases: list[Case]
    targets: list[Target]
    checks: list[Check] = field(default_factory=list)
    repeats: int = 1
    budget_usd: float | None = None
    name: str = "suite"
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"<Suite {self.name}: {len(self.targets)} targets × {len(self.cases)} cases × "
                f"{self.repeats}>")

    def cell_conversation(self, target: Target, case: Case) -> Conversation:
        """What one cell sends: the case's messages appended, its values filled in, the
        target's settings laid over the conversation's."""
        conv = self.conversation
        if case.messages:
            conv = conv.model_copy(update={"messages": [*conv.messages, *case.messages]})
        return target.apply(variables.fill(conv, case.values))

    def to_dict(self) -> dict[str, Any]:
        """The suite as it was run, self-contained (conversation and cases inline): the run
        folder's copy."""
        cases = [{**c.values, **({"messages": [m.to_dict() for m in c.messages]}
                                 if c.messages else {})} for c in self.cases]
        return {"composer": {"kind": "suite", "format_version": SUITE_VERSION},
                "name": self.name, "conversation": self.conversation.to_dict(), "cases": cases,
                "targets": [t.to_dict() for t in self.targets],
                "checks": [c.to_dict() for c in self.checks], "repeats": self.repeats,
                **({"budget_usd": self.budget_usd} if self.budget_usd is not None else {})}


class _Reader(Struct):
    """Reads the files a suite names: relative to its folder, and outside it only if allowed."""

    base_dir: Path | None
    source: str
    allow_paths: bool
    flag: str

    def read(self, path: str, what: str) -> tuple[bytes, Path]:
        resolved = resolve(path, self.base_dir)
        if not self.allow_paths and not is_inside(resolved, self.base_dir):
            where = f"outside {self.base_dir}" if self.base_dir else "outside the suite's folder"
            raise SuiteError(f"{self.source}: {what}: not reading {path} ({where}; pass "
                             f"{self.flag} to read it)")
        try:
            return read_regular(resolved, FILE_LIMIT), resolved
        except LinkedFileError as exc:
            raise SuiteError(f"{self.source}: {what}: {exc}") from None


def load_suite(path: str | os.PathLike[str], *, allow_paths: bool = False,
               flag: str = "--allow-paths", attachment_limit: int | None = None) -> Suite:
    """The suite in a file; SuiteError (one line naming the file and the place) when bad."""
    path = Path(path)
    source = str(path)
    try:
        data = parse_json(read_regular(path, FILE_LIMIT).decode("utf-8-sig"), source)
    except LinkedFileError as exc:
        raise SuiteError(str(exc)) from None
    except UnicodeDecodeError:
        raise SuiteError(f"{source}: not UTF-8 text") from None
    except FormatError as exc:
        raise SuiteError(exc.one_line()) from None
    base = Path(os.path.realpath(path)).parent
    suite = suite_from_data(data, _Reader(base, source, allow_paths, flag), attachment_limit)
    suite.source = path
    if suite.name == "suite" and "name" not in data:
        suite.name = path.stem.removesuffix(".suite")
    return suite


def suite_from_data(data: Any, reader: _Reader, attachment_limit: int | None = None) -> Suite:
    source = reader.source
    if not isinstance(data, dict):
        raise SuiteError(f"{source}: a suite must be a JSON object")
    _check_header(data.get("composer"), source)
    for key in data:
        if key not in FIELDS:
            raise SuiteError(f"{source}: unknown field {key!r} (a suite has "
                             f"{', '.join(FIELDS[1:])})")
    conversation = _conversation(data.get("conversation"), reader, attachment_limit)
    cases = _cases(data.get("cases"), reader)
    targets = _targets(data.get("targets"), conversation, source)
    checks = _checks(data.get("checks"), source)
    repeats = data.get("repeats", 1)
    if not isinstance(repeats, int) or isinstance(repeats, bool) or not 1 <= repeats <= MAX_REPEATS:
        raise SuiteError(f"{source}: repeats must be a whole number from 1 to {MAX_REPEATS}")
    budget = data.get("budget_usd")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float)
                               or budget < 0):
        raise SuiteError(f"{source}: budget_usd must be a number of dollars, at least 0")
    name = data.get("name", "suite")
    if not isinstance(name, str) or not name.strip():
        raise SuiteError(f"{source}: name must be a non-empty string")
    suite = Suite(conversation, cases, targets, checks, repeats,
                  float(budget) if budget is not None else None, name.strip())
    suite.warnings = check_variables(suite, source)
    return suite


def _check_header(header: Any, source: str) -> None:
    if header is None:
        return
    if not isinstance(header, dict) or header.get("kind", "suite") != "suite":
        raise SuiteError(f"{source}: $.composer: this is not a suite file (kind "
                         f"{header.get('kind') if isinstance(header, dict) else header!r})")
    version = header.get("format_version", 1)
    if not isinstance(version, int) or version < 1:
        raise SuiteError(f"{source}: $.composer.format_version must be a positive integer")
    if version > SUITE_VERSION:
        raise VersionError(f"this suite file is format version {version}; this Composer reads "
                           f"up to {SUITE_VERSION}: update Composer to run it", source=source,
                           location="$.composer.format_version")


def _conversation(value: Any, reader: _Reader, limit: int | None) -> Conversation:
    source = reader.source
    if value is None:
        raise SuiteError(f"{source}: conversation is missing (a path or the conversation)")
    if isinstance(value, str):
        raw, resolved = reader.read(value, "conversation")
        shown, base = value, resolved.parent
        try:
            imported = formats.import_text(raw.decode("utf-8-sig"), source=value)
        except UnicodeDecodeError:
            raise SuiteError(f"{source}: conversation: {value}: not UTF-8 text") from None
    elif isinstance(value, dict | list):
        shown, base = "conversation", reader.base_dir
        try:
            imported = formats.import_data(value, source="conversation")
        except FormatError as exc:
            raise SuiteError(f"{source}: {exc.one_line()}") from None
    else:
        raise SuiteError(f"{source}: conversation must be a path or a conversation object")
    conversation = imported.conversation
    try:
        load_for_cli(conversation, base, allow_outside=reader.allow_paths, limit=limit,
                     flag=reader.flag)
    except (ComposerError, LinkedFileError) as exc:
        raise SuiteError(f"{source}: {shown}: {exc}") from None
    return conversation


def _cases(value: Any, reader: _Reader) -> list[Case]:
    source = reader.source
    try:
        if value is None:
            return [Case("case-1", {}, [], "")]
        if isinstance(value, str):
            raw, resolved = reader.read(value, "cases")
            cases = parse_cases_file(raw, resolved, value)
        else:
            cases = inline_cases(value)
    except CaseError as exc:
        raise SuiteError(f"{source}: {exc}") from None
    if not cases:
        raise SuiteError(f"{source}: cases: there are no cases")
    return cases


def _targets(value: Any, conversation: Conversation, source: str) -> list[Target]:
    if value is None:
        settings = conversation.settings
        value = [{"provider": settings.provider or "replay", "model": settings.model or "",
                  "base_url": settings.base_url}]
    if not isinstance(value, list) or not value:
        raise SuiteError(f"{source}: targets must be a non-empty list")
    targets = []
    for i, item in enumerate(value):
        where = f"targets[{i}]"
        try:
            if isinstance(item, str):
                target = parse_target(item)
            else:
                target = Target.from_dict(item, where)
                target.preset()
        except TargetError as exc:
            raise SuiteError(f"{source}: {where}: {str(exc).removeprefix(where + ': ')}") from None
        targets.append(target)
    return targets


def _checks(value: Any, source: str) -> list[Check]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SuiteError(f"{source}: checks must be a list")
    try:
        return [parse_check(item, i) for i, item in enumerate(value)]
    except CheckError as exc:
        raise SuiteError(f"{source}: {exc}") from None


def check_variables(suite: Suite, source: str) -> list[str]:
    """Refuse a case that leaves a variable of the conversation or of a check without a value;
    the warnings for case columns that nothing uses."""
    used = variables.find(suite.conversation)
    in_checks = {name: check for check in suite.checks for name in check.variables()}
    for case in suite.cases:
        needed = dict(used)
        if case.messages:
            extra = variables.find(Conversation(messages=case.messages))
            for name, places in extra.items():
                needed.setdefault(name, [f"the case's {p.replace('row', 'message')}"
                                         for p in places])
        for name, places in needed.items():
            if name not in case.values:
                where = case.where or "the suite (it has no cases)"
                raise SuiteError(f"{source}: {where}: no value for {{{{{name}}}}} (used in "
                                 f"{', '.join(places)})")
        for name, check in in_checks.items():
            if name not in case.values:
                where = case.where or "the suite (it has no cases)"
                raise SuiteError(f"{source}: {check.where}: {{{{{name}}}}} has no value in "
                                 f"{where}")
    columns = dict.fromkeys(k for case in suite.cases for k in case.values)
    return [f"{source}: cases: column {name!r} is used neither by the conversation nor by a "
            f"check" for name in columns
            if name not in used and name not in in_checks and name not in RESERVED
            and not any(name in variables.find(Conversation(messages=c.messages))
                        for c in suite.cases if c.messages)]
