"""Cold start: a fresh interpreter until the first window is painted (shown and grabbed), for
Composer's own start (``llm-composer`` with no file, on a first start: the example) and for a
bare PySide6 window, each the best of a few runs, alternated. Both end at once after the grab,
so neither pays for its teardown.

Bytecode is written and used as an installed app's is (an environment that turns it off would
otherwise time compiling every Composer module from source at each start). The CPU time of
each start is measured too: on a shared machine it moves less than the wall clock.

And what follows the paint (``after_paint``): the start goes on there, and the window must keep
answering meanwhile.

And the same starts counted in instructions (``instructions``, under valgrind): on a shared
machine the wall clock moved the same code's ratio from 2.5x to 4.0x between runs; the count
moves by well under 1%."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from composer.models import files
from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import os
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (w.grab(), os._exit(0)))
app.exec()
"""

# The bare window after importing what Composer's models are built on (pydantic, the names they
# use): how much of Composer's start is that library alone. Not a target's floor: a figure
# for the decision the README names (a first paint without pydantic).
BARE_PYDANTIC = BARE.replace("import os\n", "import os\n"
                             "from pydantic import BaseModel, ConfigDict, Field, PrivateAttr\n"
                             "from pydantic import model_serializer, model_validator\n", 1)

# The real entry point; the first paint of the main window ends the run. It is watched where the
# app itself waits for it (app.wait_for_first_paint, an event filter on the window), without its
# time limit. (A filter on the whole application, as before, ran Python for every event of every
# object and made PySide6 wrap each one, which the app never does: ~10% more instructions.)
COMPOSER = """
import os
from composer.views import app

def wait_for_first_paint(window, limit=1.0, wait=app.wait_for_first_paint):
    wait(window, limit=3600)
    window.grab()
    os._exit(0)

app.wait_for_first_paint = wait_for_first_paint
from composer.main import main
main(["open"])
"""

# The start goes on after the first paint (the asyncio loop, the network stack and the TLS
# certificates, the first start's choice of a provider, the token count): how late a 5 ms timer
# comes meanwhile, over the next 1.5 s, and when the window's shared HTTP client is in place.
AFTER_PAINT = """
import json, os, sys, time
from PySide6.QtCore import QTimer
from benchmarks.stall import StallMeter
from composer.views import app

def wait_for_first_paint(window, limit=1.0, wait=app.wait_for_first_paint):
    wait(window, limit=3600)
    painted = time.perf_counter()
    meter, poll, ready = StallMeter(), QTimer(), []
    poll.setInterval(1)
    poll.timeout.connect(lambda: ready or window.http_client is None
                         or ready.append(time.perf_counter() - painted))
    meter.start()
    poll.start()
    def finish():
        meter.stop()
        print(json.dumps({"max_ms": meter.max_ms, "ready_ms": 1000 * ready[0] if ready else -1}))
        sys.stdout.flush()
        os._exit(0)
    QTimer.singleShot(1500, finish)
    window.after_paint = (meter, poll)

app.wait_for_first_paint = wait_for_first_paint
from composer.main import main
main(["open"])
"""


# A start on a file (``llm-composer FILE``), as a returning user's: an Anthropic conversation,
# whose key the keychain may hold.
ON_FILE = COMPOSER.replace('main(["open"])', 'import sys\nmain(["open", sys.argv[1]])')


def _env(user_dir: str) -> dict[str, str]:
    """A start's environment: offscreen, this checkout, its own user directory, bytecode on."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT), "COMPOSER_USER_DIR": user_dir}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _once(code: str, user_dir: str = "", *args: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one start."""
    env = _env(user_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass
class Starts:
    """Seconds to the first painted window, each the best of a few starts."""

    composer: float
    bare: float
    composer_cpu: float
    bare_cpu: float
    on_file: float  # Composer started on an Anthropic conversation's file
    reopen: float  # Composer started with no file, reopening that file as the window saved it
    bare_pydantic: float  # the bare window, importing pydantic first


def run(runs: int = 3) -> Starts:
    """Each start the best of ``runs`` (after one run each that writes the bytecode). Each
    Composer start is a first start, in a user directory of its own, but the reopening ones:
    theirs holds the draft state a window leaves after saving the file (its sha256)."""
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / "conversation.json"
        files.save(Conversation(
            messages=[Message.text("system", "Be brief."), Message.text("user", "Hello")],
            settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-5"),
        ), path)
        state = json.dumps({"path": str(path), "file_chosen": ["provider"],
                            "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
        dirs = (str(Path(root) / str(n)) for n in range(3 * runs + 3))

        def saved_before() -> str:
            user = Path(next(dirs))
            user.mkdir()
            (user / "draft-state.json").write_text(state, encoding="utf-8")
            return str(user)

        _once(COMPOSER, next(dirs))
        _once(ON_FILE, next(dirs), str(path))
        _once(COMPOSER, saved_before())
        _once(BARE)
        _once(BARE_PYDANTIC)
        composer, bare, on_file, reopen, bare_pydantic = [], [], [], [], []
        for _ in range(runs):
            composer.append(_once(COMPOSER, next(dirs)))
            bare.append(_once(BARE))
            on_file.append(_once(ON_FILE, next(dirs), str(path)))
            reopen.append(_once(COMPOSER, saved_before()))
            bare_pydantic.append(_once(BARE_PYDANTIC))
    return Starts(min(w for w, _ in composer), min(w for w, _ in bare),
                  min(c for _, c in composer), min(c for _, c in bare),
                  min(w for w, _ in on_file), min(w for w, _ in reopen),
                  min(w for w, _ in bare_pydantic))


def after_paint(runs: int = 3) -> tuple[float, float]:
    """(longest stall, ms until the shared HTTP client is in place) in the 1.5 s after the
    first paint of a first start: the median of ``runs`` starts."""
    stalls, ready = [], []
    with tempfile.TemporaryDirectory() as root:
        for n in range(runs):
            out = subprocess.run([sys.executable, "-c", AFTER_PAINT],
                                 env=_env(str(Path(root) / str(n))), check=True, cwd=ROOT,
                                 capture_output=True, text=True).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            stalls.append(figures["max_ms"])
            ready.append(figures["ready_ms"])
    return statistics.median(stalls), statistics.median(ready)


@dataclass
class Instructions:
    """Instructions to the first paint (valgrind's callgrind counts every one executed)."""

    composer: int  # the first start, as ``run``'s
    bare: int
    bare_pydantic: int


def instructions() -> Instructions | None:
    """One count each (they repeat to within a fraction of a percent); None without valgrind.
    Call after ``run``, which has written the bytecode."""
    if shutil.which("valgrind") is None:
        return None

    def count(code: str, user_dir: str = "") -> int:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               sys.executable, "-c", code], env=_env(user_dir), cwd=ROOT,
                              check=True, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(f"valgrind printed no count: {done.stderr[-500:]}")
        return int(found.group(1))

    with tempfile.TemporaryDirectory() as user_dir:
        return Instructions(count(COMPOSER, user_dir), count(BARE), count(BARE_PYDANTIC))
