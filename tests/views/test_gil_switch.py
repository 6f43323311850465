"""The window's thread is not kept waiting for the GIL by a worker running Python."""

from __future__ import annotations

import os
import subprocess
import sys

from composer.views.app import GIL_SWITCH_S


def test_the_app_asks_a_busy_worker_to_let_go_of_the_gil_after_a_millisecond():
    """Qt takes the GIL at every call into Python; a worker running Python lets go of it only
    when asked, after the switch interval. The app's start sets it, in a fresh interpreter as
    a user's start does (the default is 5 ms)."""
    code = ("import sys\n"
            "before = sys.getswitchinterval()\n"
            "from composer.views.app import create_app\n"
            "create_app([])\n"
            "print(before, sys.getswitchinterval())\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env)
    before, after = map(float, result.stdout.split())
    assert before == 0.005
    assert after == GIL_SWITCH_S == 0.001
