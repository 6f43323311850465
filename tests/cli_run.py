"""Run ``llm-composer`` in this process, the way a user runs it, without starting Python again:
``composer.main.main(argv)`` with stdin, stdout and stderr as byte buffers, the environment and
working folder as a subprocess would have them, and the result as ``subprocess.run`` gives it
(text). Tests where the process itself is the point (signals, pipes that close, exit at
interpreter shutdown) start a real subprocess instead (test_cli_edges)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager

from composer.main import main


@contextmanager
def _environment(env: dict[str, str] | None, cwd: str | os.PathLike[str] | None):
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def run_cli(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None) -> subprocess.CompletedProcess:
    """``llm-composer ARGS`` in-process; ``env`` replaces the environment for the call."""
    data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
    streams = [io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"),
               io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True),
               io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)]
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        with _environment(env, cwd):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors and --help
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        out, err = sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = saved
    out.flush()
    err.flush()
    return subprocess.CompletedProcess(["llm-composer", *args], code,
                                       out.buffer.getvalue().decode("utf-8", "replace"),
                                       err.buffer.getvalue().decode("utf-8", "replace"))


__all__ = ["run_cli"]

