"""The window's first paint loads only what it needs."""

import os
import subprocess
import sys

# A fresh interpreter's window, built as the tests below then look at it.
WINDOW = (
    "import sys, tempfile\n"
    "from PySide6.QtWidgets import QApplication\n"
    "app = QApplication([])\n"
    "from composer.views.window import MainWindow\n"
    "window = MainWindow(user_dir=tempfile.mkdtemp())\n"
)


def _printed(code: str) -> list[str]:
    """The lines a fresh interpreter printed running ``code`` offscreen."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return lines


def test_the_window_is_built_without_the_network_stack_or_the_heavy_libraries():
    """What the first paint does not need loads on first use: httpx with the first call, the
    price table with the first count, jsonschema with the first schema or test run."""
    code = WINDOW + (
        "window.autosaver.stop()\n"
        "heavy = ('httpx', 'composer.providers.transport', 'genai_prices', 'jsonschema',\n"
        "         'markdown_it', 'keyring')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    assert _printed(code)[-1] == "[]"


def test_dialogs_and_views_the_first_paint_does_not_show_load_when_first_opened():
    """The compare view, the reply diff, the branches panel and the dialogs (open a file's
    choice, settings, shortcuts) and the readers of foreign formats load with their first use."""
    code = WINDOW + (
        "window.show()\n"
        "app.processEvents()\n"
        "window.autosaver.stop()\n"
        "later = ('composer.views.compare.window', 'composer.views.compare.targets_dialog',\n"
        "         'composer.views.reply_diff', 'composer.views.branches.panel',\n"
        "         'composer.views.picker', 'composer.views.settings_dialog',\n"
        "         'composer.views.shortcuts_dialog', 'composer.views.opening')\n"
        "print([m for m in later if m in sys.modules])\n"
        "window.compare_ui.view, window.branches.panel, window.show_settings().close()\n"
        "window.show_shortcuts().close()\n"
        "print([m for m in later if m in sys.modules])\n"
    )
    lines = _printed(code)
    assert lines[-2] == "[]"
    assert lines[-1] == ("['composer.views.compare.window', 'composer.views.branches.panel', "
                         "'composer.views.settings_dialog', 'composer.views.shortcuts_dialog']")
