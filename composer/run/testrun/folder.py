"""The run folder: the files of one test run, from which everything about it is rebuilt.

::

    RUN/
      suite.json        the suite as run, self-contained (conversation and cases inline);
                        written once, before the first call
      run.json          the manifest: the suite's name, the targets, every planned cell with
                        its file and verdicts, the summary per target; rebuilt from the other
                        files at any time (``load_run``), never the only copy of anything
      cells/T/C.rN.json one exchange file per finished cell (llm-readable like every exchange):
                        T is the target (``t1-openai-gpt-4o-mini``), C the case (``c001-paris``),
                        N the repeat. Its ``composer.cell`` says which cell it is, the request it
                        answers (a hash), the verdicts, the cost
      batches/          (batch mode: composer.run.testrun.batch) one file per submitted provider
                        batch: its API, id, state and the cells it carries; ``--resume`` polls
                        those instead of sending, and fetched results land in the same cell
                        files

Every file is written atomically (composer.models.files): a process killed at any moment leaves
the old file or the new one, and a killed write's temp file is removed by the next run. A cell
file is *valid* for its cell when it reads, names that cell and the same request (an edited
suite makes its changed cells stale), and holds a reply rather than an error: resume sends the
others again. A folder written by a newer Composer is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from msgspec import Struct

from composer.models.conversation import Conversation
from composer.models.errors import ComposerError, FormatError, VersionError
from composer.models.exchange import Exchange
from composer.models.files import atomic_write_text, load, parse_json, remove_stale_temps, save
from composer.run.targets import Target
from composer.run.testrun.cases import Case
from composer.run.testrun.checks import ERROR, FAIL, PASS, Verdict
from composer.run.testrun.suite import Suite

RUN_VERSION = 1
MANIFEST = "run.json"
SUITE_COPY = "suite.json"
CELLS = "cells"
BATCHES = "batches"
PENDING = "pending"


class RunFolderError(ComposerError):
    """A run folder that cannot be used (not one, newer, another suite's)."""


def slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:limit] or "x"


class PlannedCell(Struct, frozen=True):
    target_index: int
    target: Target
    case_index: int
    case: Case
    repeat: int  # from 1
    conversation: Conversation  # what it sends
    request: str  # a hash of what it sends
    path: str  # relative to the run folder

    @property
    def key(self) -> tuple[int, str, int]:
        return self.target_index, self.case.id, self.repeat

    def __repr__(self) -> str:
        return f"<PlannedCell {self.path}>"


def request_hash(conversation: Conversation) -> str:
    text = json.dumps(conversation.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def target_folder(index: int, target: Target) -> str:
    return f"t{index + 1}-{slug(target.name)}"


def plan(suite: Suite) -> list[PlannedCell]:
    """Every cell of the suite, target by target, case by case, repeat by repeat."""
    cells = []
    for t, target in enumerate(suite.targets):
        folder = target_folder(t, target)
        for c, case in enumerate(suite.cases):
            conversation = suite.cell_conversation(target, case)
            digest = request_hash(conversation)
            for r in range(1, suite.repeats + 1):
                path = f"{CELLS}/{folder}/c{c + 1:03d}-{slug(case.id)}.r{r}.json"
                cells.append(PlannedCell(t, target, c, case, r, conversation, digest, path))
    return cells


# -- cell files ---------------------------------------------------------------------------------


class CellRecord(Struct):
    """What a cell file says about its cell."""

    status: str  # pass | fail | error
    verdicts: list[Verdict]
    cost_usd: float | None
    cost_note: str
    latency_ms: float | None
    request: str
    exchange: Exchange

    @property
    def failed_request(self) -> bool:
        return self.exchange.composer.error is not None


def cell_status(verdicts: list[Verdict]) -> str:
    statuses = {v.status for v in verdicts}
    return ERROR if ERROR in statuses else FAIL if FAIL in statuses else PASS


def cell_info(cell: PlannedCell, verdicts: list[Verdict], cost: float | None,
              cost_note: str) -> dict[str, Any]:
    return {"run_format": RUN_VERSION, "target": cell.target_index,
            "target_name": cell.target.name, "case": cell.case.id, "repeat": cell.repeat,
            "request": cell.request, "status": cell_status(verdicts),
            "verdicts": [v.to_dict() for v in verdicts], "cost_usd": cost,
            **({"cost_note": cost_note} if cost_note else {})}


def write_cell(folder: Path, cell: PlannedCell, exchange: Exchange,
               info: dict[str, Any]) -> None:
    """The cell's exchange file with its ``composer.cell``, atomically (blocking I/O)."""
    path = folder / cell.path
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = exchange.model_copy(deep=False)
    stamped.composer = exchange.composer.model_copy(update={"cell": info})
    save(stamped, path)


def read_cell(folder: Path, cell: PlannedCell) -> CellRecord | None:
    """The cell's record when its file is valid for it (see the module docstring), else None.
    Raises RunFolderError for a file written by a newer Composer."""
    path = folder / cell.path
    if not path.is_file():
        return None
    try:
        exchange = load(path)
    except VersionError as exc:
        raise RunFolderError(str(exc)) from None
    except (FormatError, OSError):
        return None
    info = getattr(exchange.composer, "cell", None)
    if not isinstance(exchange, Exchange) or not isinstance(info, dict):
        return None
    version = info.get("run_format", 1)
    if isinstance(version, int) and version > RUN_VERSION:
        raise RunFolderError(f"{path}: written by a newer Composer (run format {version}; "
                             f"this one reads up to {RUN_VERSION}): update Composer")
    if (info.get("case"), info.get("repeat"), info.get("target")) != \
            (cell.case.id, cell.repeat, cell.target_index) or info.get("request") != cell.request:
        return None
    try:
        verdicts = [Verdict.from_dict(v) for v in info.get("verdicts") or []]
    except (ValueError, TypeError):
        return None
    cost = info.get("cost_usd")
    return CellRecord(info.get("status") or cell_status(verdicts), verdicts,
                      float(cost) if isinstance(cost, int | float) else None,
                      str(info.get("cost_note") or ""), exchange.composer.timing.total_ms,
                      cell.request, exchange)


def clean_temps(folder: Path) -> int:
    """Remove the temp files killed writes left anywhere in the run folder."""
    removed = remove_stale_temps(folder)
    cells = folder / CELLS
    if cells.is_dir():
        for sub in cells.iterdir():
            if sub.is_dir():
                removed += remove_stale_temps(sub)
    return removed


# -- the suite copy and the manifest ------------------------------------------------------------


def check_version(data: Any, kind: str, path: Path, current: int) -> None:
    """RunFolderError unless ``data`` is a Composer ``kind`` file this version reads."""
    header = data.get("composer") if isinstance(data, dict) else None
    if not isinstance(header, dict) or header.get("kind") != kind:
        raise RunFolderError(f"{path}: not a Composer {kind} file")
    version = header.get("format_version", 1)
    if not isinstance(version, int) or version > current:
        raise RunFolderError(f"{path}: this run folder was written by a newer Composer "
                             f"({kind} format {version}; this one reads up to {current}): "
                             "update Composer to open or resume it")


def read_json_file(path: Path) -> Any:
    try:
        return parse_json(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: cannot read it: {exc}") from None
    except FormatError as exc:
        raise RunFolderError(exc.one_line()) from None


def check_folder(folder: Path) -> dict[str, Any] | None:
    """The suite copy of an existing run folder (None for a new folder); RunFolderError for a
    folder written by a newer Composer or that is not a run folder."""
    manifest, copy = folder / MANIFEST, folder / SUITE_COPY
    if manifest.exists():
        check_version(read_json_file(manifest), "run", manifest, RUN_VERSION)
    if not copy.exists():
        if manifest.exists() or (folder / CELLS).exists():
            raise RunFolderError(f"{folder}: a run folder without its {SUITE_COPY}")
        return None
    data = read_json_file(copy)
    from composer.run.testrun.suite import SUITE_VERSION

    check_version(data, "suite", copy, SUITE_VERSION)
    return data


def write_suite_copy(folder: Path, suite: Suite) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / SUITE_COPY,
                      json.dumps(suite.to_dict(), ensure_ascii=False, indent=2) + "\n")


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2)
                      + "\n")


def batch_records(folder: Path) -> list[dict[str, Any]]:
    """The batch files (composer.run.testrun.batch writes them), each without its list of
    cells: the file's name, the API, the id, the state and how many requests it carries."""
    out = []
    for path in sorted((folder / BATCHES).glob("*.json")) if (folder / BATCHES).is_dir() else []:
        try:
            record = read_json_file(path)
        except RunFolderError:
            continue
        if isinstance(record, dict):
            cells = record.get("cells")
            out.append({"file": f"{BATCHES}/{path.name}", **{
                k: v for k, v in record.items() if k not in ("cells", "composer")},
                "requests": len(cells) if isinstance(cells, list) else 0})
    return out


def is_run_folder(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / SUITE_COPY).is_file()
