"""``pytest -p tests.suite_profile`` (tests/suite_profile.py) tells CPU from waiting, per file."""

from __future__ import annotations

import re

pytest_plugins = ["pytester"]


def test_the_profile_tells_a_busy_file_from_a_waiting_one(pytester):
    pytester.makepyfile(
        test_waits="import time\ndef test_sleeps():\n    time.sleep(0.2)\n",
        test_works=("import time\ndef test_spins():\n    start = time.process_time()\n"
                    "    while time.process_time() - start < 0.2:\n        pass\n"))
    result = pytester.runpytest_inprocess("-p", "tests.suite_profile", *(
        f"-pno:{name}" for name in ("xdist", "cacheprovider", "asyncio", "qt",
                                     "hypothesispytest")))
    result.assert_outcomes(passed=2)
    lines = result.outlines
    assert any(line.startswith("suite profile: 2 tests; collection ") for line in lines)
    figures = {}
    for line in lines:
        match = re.fullmatch(r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+1\s+(test_\w+\.py)", line)
        if match:
            figures[match[4]] = tuple(map(float, match.groups()[:3]))
    waits_own, _children, waits_idle = figures["test_waits.py"]
    assert waits_idle >= 0.15 > waits_own
    # A busy test's wall time waiting for a core counts as idle too (on a loaded machine, as
    # much as its CPU): only its CPU against the sleeping test's is certain.
    works_own, _children, _idle = figures["test_works.py"]
    assert works_own >= 0.1 > waits_own
    # Under load the busy test can wait for a core longer than the other sleeps: which of the
    # two heads the list is not certain, that the sleeper is in it with its idle time is.
    heading = next(i for i, line in enumerate(lines)
                   if line.endswith("the tests with the most idle"))
    listed = {line.split()[-1]: float(line.split()[2]) for line in lines[heading + 1:heading + 3]}
    assert listed["test_waits.py::test_sleeps"] >= 0.15
