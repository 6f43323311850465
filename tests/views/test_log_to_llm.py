"""The preference "log every run to llm": off by default; on, a run lands in llm's logs.db."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from composer.preferences import Preferences
from tests.conftest import LLM

pytestmark = LLM  # the tests that load llm share one xdist worker


def test_it_is_off_by_default_and_the_settings_dialog_turns_it_on(qtbot, run_window):
    assert Preferences().log_to_llm is False
    window = run_window()
    dialog = window.show_settings()
    qtbot.addWidget(dialog)
    dialog.log_check.setChecked(True)
    assert window.preferences.log_to_llm is True


def test_with_it_on_a_run_is_written_into_llms_logs(qtbot, run_window):
    pytest.importorskip("llm")
    window = run_window()
    window.preferences = window.preferences.model_copy(update={"log_to_llm": True})
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == "done", timeout=5000)
    qtbot.waitUntil(lambda: run.llm_log_task is not None and run.llm_log_task.done(),
                    timeout=60000)  # llm loads its plugins the first time
    logs = Path(os.environ["LLM_USER_PATH"]) / "logs.db"
    with sqlite3.connect(logs) as db:
        assert db.execute("select count(*) from turns").fetchone()[0] == 1
