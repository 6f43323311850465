"""SIGKILL the real app at random moments while it edits, autosaves and saves
(tests/sigkill_child.py), again and again over one user directory. After every kill: every
file on disk parses (never a torn file); on the next start the recovery offer is there whenever
edits older than the autosave interval are not in the saved file, it never offers a draft older
than the file, and at most the autosave interval (plus scheduling slack) of edits is lost; no
temp file of a dead process outlives the next start.

SIGKILLS=10 in the ordinary run, one of them always during start-up (the others there by
chance, 15 in 100); a dedicated run: ``COMPOSER_SIGKILLS=300 pytest tests/test_sigkill.py -s``
(the figures are printed). Seeded by COMPOSER_SIGKILL_SEED.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="kills the real window (CI's Qt-free core run has no Qt)")

from composer.models.conversation import Conversation
from composer.models.files import load_conversation, save
from composer.models.parts import Message
from tests.conftest import ROOT

KILLS = int(os.environ.get("COMPOSER_SIGKILLS", "10"))
SEED = int(os.environ.get("COMPOSER_SIGKILL_SEED", str(int(time.time()))))
AUTOSAVE_MS = 150
SAVE_EVERY = 40  # edits between two Saves (an edit every few ms)
# How late a write may come on a loaded machine beyond the autosave interval.
SLACK_S = float(os.environ.get("COMPOSER_SIGKILL_SLACK", "1.5"))
CHILD = Path(__file__).with_name("sigkill_child.py")
LINE = re.compile(r"^(\w[\w-]*) (?:(\d+) )?([\d.]+)$")
TEMP = re.compile(r"^\..+\.(\d+)-\w+\.tmp$")


@dataclass
class Log:
    path: Path
    lines: list[tuple[str, int | None, float]] = field(default_factory=list)

    def read(self) -> None:
        self.lines = []
        for raw in self.path.read_text(encoding="utf-8").splitlines():
            match = LINE.match(raw)
            if match:  # a line cut by the kill is skipped
                word, number, when = match.groups()
                self.lines.append((word, int(number) if number else None, float(when)))

    def edits(self) -> list[tuple[int, float]]:
        return [(n, t) for word, n, t in self.lines if word == "edit"]

    def last(self, word: str) -> tuple[str, int | None, float] | None:
        found = [line for line in self.lines if line[0] == word]
        return found[-1] if found else None


@dataclass
class Expected:
    """What the next start must find, worked out right after a kill."""
    kill_time: float
    in_file: int  # the N of "edit N" the saved file holds
    due: int  # the newest edit older than the autosave interval (+ slack) at the kill
    newest: int  # the newest edit logged
    edits: list[tuple[int, float]]  # the killed run's edits


def _number(conv: Conversation) -> int:
    match = re.fullmatch(r"edit (\d+)", conv.messages[0].plain_text)
    return int(match.group(1)) if match else 0


def _check_files(folders: list[Path], log: Log) -> int:
    """Every JSON file parses; conversations load; the saved file is one a Save wrote. The
    number in the saved file."""
    for folder in folders:
        for path in folder.glob("*.json"):
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)  # a torn file fails here
            if isinstance(data, dict) and "messages" in data:
                load_conversation(path)
    return _number(load_conversation(folders[1] / "conv.json"))


def _edits_of(log: Log, pid: int, before: float) -> list[tuple[int, float]]:
    """The edits the run ``pid`` logged (after its ``start PID`` line) before ``before``."""
    started = [i for i, line in enumerate(log.lines) if line[:2] == ("start", pid)]
    if not started:
        return []
    return [(n, t) for word, n, t in log.lines[started[0]:] if word == "edit" and t <= before]


def _temps_of_the_dead(folders: list[Path], alive: int) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.iterdir():
            match = TEMP.match(path.name)
            if match and int(match.group(1)) != alive:
                found.append(path.name)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(log: Log, word: str, pid: int, timeout: float = 90):
    """The run's ``word`` line after its ``start PID`` line."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        log.read()
        started = [i for i, line in enumerate(log.lines) if line[:2] == ("start", pid)]
        if started:
            after = [line for line in log.lines[started[0]:] if line[0] in word.split("|")]
            if after:
                return after[0]
        if not _alive(pid):
            pytest.fail(f"the app exited: {(log.path.parent / 'child.err').read_text()[-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"no {word!r} from the app in {timeout} s")


class Zygote:
    """tests/sigkill_child.py --zygote: the app imported once, forked for each run."""

    def __init__(self, args: list[str], err, env: dict[str, str]):
        self.proc = subprocess.Popen([sys.executable, str(CHILD), "--zygote", *args], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, text=True)

    def fork(self) -> int:
        self.proc.stdin.write("fork\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail("the zygote died")
        return int(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _sigkill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 30
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.005)
    assert not _alive(pid)


def _check_start(report: tuple, expected: Expected | None, figures: dict) -> None:
    word, number, _when = report
    if expected is None:
        return
    e = expected
    if word == "recovered":
        assert number > e.in_file, f"offered edit {number}, older than the file's {e.in_file}"
        assert number <= e.newest
        kept = number
    else:
        assert number == e.in_file, f"reopened edit {number}, the file holds {e.in_file}"
        kept = e.in_file
    assert kept >= e.due, (f"edits up to {e.due} were older than the autosave interval at the "
                           f"kill, but only {kept} survived (file {e.in_file}, {word})")
    figures["recovered" if word == "recovered" else "not offered"] += 1
    lost = [t for n, t in e.edits if n > kept]
    figures["max edits lost"] = max(figures["max edits lost"], len(lost))
    if lost:
        figures["max ms lost"] = max(figures["max ms lost"], round((e.kill_time - lost[0]) * 1000))


def test_sigkill_during_edits_and_saves_never_tears_a_file_or_loses_the_recovery(tmp_path):
    print(f"COMPOSER_SIGKILL_SEED={SEED}")  # shown with a failure, to replay it
    rng = random.Random(SEED)
    user_dir, work = tmp_path / "user", tmp_path / "work"
    work.mkdir()
    file = work / "conv.json"
    save(Conversation(messages=[Message.text("user", "edit 0")]), file)
    log = Log(tmp_path / "log.txt")
    log.path.touch()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    figures = {"kills": 0, "during start-up": 0, "recovered": 0, "not offered": 0,
               "max edits lost": 0, "max ms lost": 0.0}
    expected: Expected | None = None
    err = open(tmp_path / "child.err", "w")  # noqa: SIM115
    zygote = Zygote([str(user_dir), str(file), str(log.path), str(AUTOSAVE_MS),
                     str(SAVE_EVERY)], err, env)
    pid = None
    try:
        for round_ in range(KILLS + 1):
            pid, report = zygote.fork(), None
            if round_ < KILLS and (rng.random() < 0.15 or round_ == KILLS // 2):
                time.sleep(rng.uniform(0.0, 0.6))  # somewhere in start-up
                figures["during start-up"] += 1
            else:
                report = _wait_for(log, "recovered|no-recovery", pid)
                _check_start(report, expected, figures)
                ready = _wait_for(log, "ready", pid)
                assert not _temps_of_the_dead([user_dir, work], pid)
                if round_ == KILLS:
                    break
                # Kill anywhere in two Save cycles (SAVE_EVERY edits, 0.2 s or more) and three
                # autosave intervals.
                time.sleep(rng.uniform(0.02, 0.5))
            kill_time = time.time()
            _sigkill(pid)
            pid_killed, pid = pid, None
            figures["kills"] += 1
            log.read()
            in_file = _check_files([user_dir, work], log)
            saved = {n for word, n, _t in log.lines if word in ("saving", "saved")} | {0}
            assert in_file in saved, f"the file holds edit {in_file}, which no Save wrote"
            if report is None:  # killed "in start-up": the older edits are still due, and a
                # fast start may already have made (and saved) edits of its own before the kill
                if expected is not None:
                    mine = _edits_of(log, pid_killed, kill_time)
                    cutoff = kill_time - AUTOSAVE_MS / 1000 - SLACK_S
                    due = max([expected.due, *(n for n, t in mine if t <= cutoff)])
                    newest = max([expected.newest, in_file, *(n for n, _t in mine)])
                    expected = Expected(kill_time, in_file, due, newest, mine)
                continue
            mine = [(n, t) for n, t in log.edits() if t >= ready[2]]
            cutoff = kill_time - AUTOSAVE_MS / 1000 - SLACK_S
            due = max([report[1], *(n for n, t in mine if t <= cutoff)])
            newest = max([report[1], *(n for n, _t in mine)])
            expected = Expected(kill_time, in_file, due, newest, mine)
    finally:
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGKILL)
        zygote.close()
        err.close()
    print(f"\nSIGKILL (seed {SEED}): {figures}")
    assert figures["kills"] == KILLS
    assert KILLS < 2 or figures["during start-up"] > 0
