"""A first run's bytecode made once, shared by the xdist workers.

On a fresh checkout (CI's every run) each worker compiles Composer and rewrites the tests'
asserts for itself, the same files at the same moment: the rewriting alone is about 5.6 s of
CPU a worker (122 files), Composer's compiling about 1 s. Each worker first makes its share
of those files (by size, in turn), then collects as usual and finds the others' share cached
by the other workers; what is not there yet it makes itself, as before. Best effort: pytest's
cache of rewritten tests is its own (``_pytest.assertion.rewrite``), so anything unexpected
leaves the work to the collection.
"""

from __future__ import annotations

import compileall
import os
import sys
from pathlib import Path

import pytest


def make_my_share(config: pytest.Config, root: Path) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2 or sys.dont_write_bytecode:
        return
    index = int(worker[2:])
    tests = _shared(_test_files(config, root), index, count)
    composer = _shared(list((root / "composer").rglob("*.py")), index, count)
    # Pytest's internals moved, a checkout it cannot write to: the collection and the imports
    # make what is missing, as before.
    try:
        _rewrite(config, tests)
        for path in composer:
            compileall.compile_file(str(path), quiet=2)
    except Exception:  # noqa: BLE001
        pass


def _test_files(config: pytest.Config, root: Path) -> list[Path]:
    """The test files and conftests under what the command line names (the run's tests), but
    for what it leaves out (``--ignore``)."""
    here = config.invocation_params.dir
    found: set[Path] = set()
    for arg in config.args or [str(root / "tests")]:
        path = (here / arg.split("::")[0]).resolve()
        if path.is_dir():
            found.update(path.rglob("test_*.py"))
            found.update(path.rglob("conftest.py"))
        elif path.suffix == ".py":
            found.add(path)
    ignored = [(here / name).resolve() for name in config.getoption("ignore") or []]
    return [p for p in found if not any(p.is_relative_to(i) for i in ignored)]


def _shared(paths: list[Path], index: int, count: int) -> list[Path]:
    """This worker's turn of ``paths``, the biggest first, so the shares weigh about the same."""
    by_size = sorted(paths, key=lambda p: (-p.stat().st_size, str(p)))
    return by_size[index::count]


def _rewrite(config: pytest.Config, paths: list[Path]) -> None:
    from _pytest.assertion import rewrite

    state = config.stash[rewrite.assertstate_key]
    for path in paths:
        cache = rewrite.get_cache_dir(path)
        pyc = cache / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is not None or not rewrite.try_makedirs(cache):
            continue
        source_hash, code = rewrite._rewrite_test(path, config)
        rewrite._write_pyc(state, code, source_hash, pyc)
