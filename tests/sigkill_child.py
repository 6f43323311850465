"""The app that tests/test_sigkill.py kills: the real window (offscreen, on the qasync loop as
``llm-composer open`` runs it) over a user directory, editing and saving without pause until a
SIGKILL ends it.

On start it answers the recovery offer with Recover, then types into the first row every few
milliseconds ("edit N", N counting on from the last run) and saves the file every
SAVE_EVERY edits; the autosave runs at the given interval. Each step is one line in LOG,
written and flushed as it happens (a killed process's written lines survive in the page cache):

    start PID T | recovered N T | no-recovery N T | ready T | edit N T | saving N T | saved N T

Usage: sigkill_child.py [--zygote] USER_DIR FILE LOG AUTOSAVE_MS SAVE_EVERY
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

EDIT_EVERY_MS = 5


def last_edit(log: Path) -> int:
    if not log.exists():
        return 0
    numbers = [int(m) for m in re.findall(r"^edit (\d+) ", log.read_text(), re.M)]
    return max(numbers, default=0)


def row_number(window) -> int:
    """The N of "edit N" in the first row (0 for anything else)."""
    match = re.fullmatch(r"edit (\d+)", window.document.messages[0].plain_text)
    return int(match.group(1)) if match else 0


def main(user_dir: str, file: str, log_path: str, autosave_ms: int, save_every: int) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from composer.views.app import create_app, make_loop

    app = create_app()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from composer.views.window import MainWindow

    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 (open until the kill)

    def say(*words: object) -> None:
        log.write(" ".join(map(str, words)) + f" {time.time():.4f}\n")
        log.flush()

    count = last_edit(Path(log_path))
    say("start", os.getpid())

    async def run() -> None:
        nonlocal count
        window = MainWindow(user_dir=user_dir)
        window.autosaver._timer.setInterval(autosave_ms)
        window.show()
        if window.file_path != Path(file):
            window.open_path(file)  # the first start; later ones reopen the last file
        box = window.offer_recovery()
        if box is not None:
            box.button(QMessageBox.StandardButton.Open).click()
            say("recovered", row_number(window))
        else:
            say("no-recovery", row_number(window))
        say("ready")

        def edit() -> None:
            nonlocal count
            count += 1
            window.editor.set_text(0, f"edit {count}")
            say("edit", count)
            if count % save_every == 0:
                say("saving", count)
                if window.save_to(file):
                    say("saved", count)

        timer = QTimer(window)
        timer.timeout.connect(edit)
        timer.start(EDIT_EVERY_MS)
        await asyncio.Event().wait()  # until the kill

    with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:
        runner.run(run())
    return 0


def zygote(args: list[str]) -> int:
    """Import the app once, then fork a fresh run of it for each ``fork`` line on stdin and
    print its pid: a kill round costs a fork, not a Python and Qt start. The forked run makes
    its own QApplication, as a fresh process would (none exists before the fork)."""
    import signal

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import composer.views.app  # noqa: F401
    import composer.views.window  # noqa: F401

    # What a start loads on the way to its first paint, loaded once here (no Qt object made,
    # no thread started): the loop (after PySide6: qasync binds to the first Qt it finds), the
    # desktop id, the table's Markdown parser. 0.1-0.3 s a start, ten starts a run.
    # isort: split
    import concurrent.futures.thread  # noqa: F401

    import qasync  # noqa: F401

    import composer.cli.desktop  # noqa: F401
    from composer.views.plain_markdown import plain_markdown

    plain_markdown("**warm**")

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the killed runs
    for line in sys.stdin:
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os._exit(main(args[0], args[1], args[2], int(args[3]), int(args[4])))
        print(pid, flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        raise SystemExit(zygote(sys.argv[2:7]))
    user_dir, file, log_path, autosave_ms, save_every = sys.argv[1:6]
    raise SystemExit(main(user_dir, file, log_path, int(autosave_ms), int(save_every)))
