"""``llm-composer ARGS`` as a process of its own, forked from one that has already imported
Composer (multiprocessing's forkserver, preloaded with this module): a SIGKILL or a Ctrl-C lands
on a real process with its own files, exit status and output, but a start costs a fork instead
of a Python start and Composer's imports (about 1 s of CPU each).

For the tests whose point is what a signal does to a run under way (the first start in a test
process pays for the imports once). The forkserver is one per test process and keeps the
preload of the first test that starts it; it ends with the test process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time

# What a `run` loads on the way to its first call, loaded once in the forkserver (imports and
# the price table; no thread, loop or client is made there).
import composer.cli.run  # noqa: F401
import composer.providers.transport  # noqa: F401
import composer.run.testrun.batch  # noqa: F401
from composer.main import build_parser
from composer.models import pricing

build_parser()  # every verb's module
pricing.warm()


def start(argv: list[str], *, env: dict[str, str], cwd: str | os.PathLike[str],
          stdout: str | os.PathLike[str] = os.devnull,
          stderr: str | os.PathLike[str] = os.devnull) -> multiprocessing.Process:
    """``llm-composer ARGV`` started with ``env`` in ``cwd``, its output appended to the
    files ``stdout`` and ``stderr``. The process: ``pid``, ``kill()``, ``join()``, ``exitcode``
    (negative for a signal, as with subprocess)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    process = context.Process(target=_main, args=(argv, env, str(cwd), str(stdout),
                                                  str(stderr)))
    process.start()
    return process


def _main(argv: list[str], env: dict[str, str], cwd: str, stdout: str, stderr: str) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the test run ignores it
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(target, fd)
        os.close(target)
    from composer.main import main

    sys.exit(main(argv))



def wait_for(path: str | os.PathLike[str], text: str, process: multiprocessing.Process,
             timeout: float = 60) -> str:
    """What the file ``path`` (a started run's output) holds once it holds ``text``, or once
    ``process`` has ended or ``timeout`` seconds have gone by."""
    deadline = time.monotonic() + timeout
    while True:
        found = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if text in found or not process.is_alive() or time.monotonic() > deadline:
            return found
        time.sleep(0.005)
