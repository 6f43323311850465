"""The window's first paint loads only what it needs."""

import os
import subprocess
import sys


def test_the_window_is_built_without_the_network_stack_or_the_heavy_libraries():
    """What the first paint does not need loads on first use: httpx with the first call, the
    price table with the first count, jsonschema with the first schema or test run."""
    code = (
        "import sys, tempfile\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from composer.views.window import MainWindow\n"
        "window = MainWindow(user_dir=tempfile.mkdtemp())\n"
        "window.autosaver.stop()\n"
        "heavy = ('httpx', 'composer.providers.transport', 'genai_prices', 'jsonschema',\n"
        "         'markdown_it', 'keyring')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
