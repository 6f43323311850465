"""Where the suite's time goes: ``pytest -p tests.suite_profile`` prints after the run each
worker's collection, the xdist controller's own CPU, the test files with the most CPU (the test
process's own and that of the child processes it waited for) and the most idle time (wall time
none of it ran: sleeps, timeouts, a child still starting, a core taken by the other worker),
and the single tests with the most idle time. Not loaded by default; works serially and under
xdist (the workers hand their figures to the controller).

Forked grandchildren (tests/forked_cli.py's forkserver, the SIGKILL test's zygote) are not
waited for by the test, so their CPU shows as idle.
"""

from __future__ import annotations

import resource
import time
from collections import defaultdict

import pytest

KEY = "suite_profile"


class _Figures:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []  # test, own, children's, wall
        self.collection: list[float] = []  # CPU until the tests were collected, per process
        self.workers = 0  # xdist workers heard from (0: a serial run)


_FIGURES = pytest.StashKey[_Figures]()


def _of(config: pytest.Config) -> _Figures:
    """This run's figures (kept on its config: a run inside a test has its own)."""
    return config.stash.setdefault(_FIGURES, _Figures())


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pytest_collection_finish(session: pytest.Session) -> None:
    _of(session.config).collection.append(_cpu()[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    own, children = _cpu()
    start = time.monotonic()
    try:
        return (yield)
    finally:
        own_after, children_after = _cpu()
        _of(item.config).rows.append((item.nodeid, own_after - own,
                                      children_after - children, time.monotonic() - start))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints
        figures = _of(session.config)
        workeroutput[KEY] = {"rows": figures.rows, "collection": figures.collection}


@pytest.hookimpl(optionalhook=True)  # xdist's: the controller hears of a worker that ended
def pytest_testnodedown(node, error) -> None:
    data = getattr(node, "workeroutput", {}).get(KEY)
    if data:
        figures = _of(node.config)
        figures.rows.extend(tuple(row) for row in data["rows"])
        figures.collection.extend(data["collection"])
        figures.workers += 1


def pytest_terminal_summary(terminalreporter) -> None:
    figures = _of(terminalreporter.config)
    if not figures.rows:
        return
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for name, own, children, wall in figures.rows:
        totals = files[name.split("::")[0]]
        totals[0] += own
        totals[1] += children
        totals[2] += _idle(own, children, wall)
        totals[3] += 1
    write = terminalreporter.write_line
    write("")
    write(f"suite profile: {len(figures.rows)} tests; collection "
          + ", ".join(f"{c:.1f} s" for c in figures.collection) + " of CPU; tests "
          + f"{sum(f[0] for f in files.values()):.1f} s own CPU, "
          + f"{sum(f[1] for f in files.values()):.1f} s children's, "
          + f"{sum(f[2] for f in files.values()):.1f} s idle")
    if figures.workers:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        write(f"  the xdist controller ({figures.workers} workers): "
              f"{mine.ru_utime + mine.ru_stime:.1f} s of CPU")
    heading = f"{'own':>6} {'child':>6} {'idle':>6} {'tests':>6}"
    for title, column in (("CPU (own + children's)", lambda f: f[0] + f[1]),
                          ("idle", lambda f: f[2])):
        write(f"  {heading}  the files with the most {title}")
        top = sorted(files.items(), key=lambda kv: -column(kv[1]))[:12]
        for name, (own, children, idle, count) in top:
            write(f"  {own:6.1f} {children:6.1f} {idle:6.1f} {count:6d}  {name}")
    write(f"  {'own':>6} {'child':>6} {'idle':>6}  the tests with the most idle")
    for name, own, children, wall in sorted(
            figures.rows, key=lambda row: -_idle(*row[1:]))[:8]:
        write(f"  {own:6.2f} {children:6.2f} {_idle(own, children, wall):6.2f}  {name}")


def _idle(own: float, children: float, wall: float) -> float:
    return max(wall - own - children, 0.0)
