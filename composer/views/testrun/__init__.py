"""Test runs in the window: Run ▸ Test Run… opens the workspace (workspace.py) over the current
conversation; File ▸ Open Test Run… opens a run folder's grid. ``install`` puts both actions in
the window's menus and returns the ``TestRunUI`` that keeps the one workspace."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from composer.views.run_controller import RunController
    from composer.views.testrun.workspace import TestRunWindow
    from composer.views.window import MainWindow

SHORTCUT = "Ctrl+Alt+R"


class TestRunUI(QObject):
    def __init__(self, window: MainWindow, run: RunController):
        super().__init__(window)
        self.window = window
        self.run = run
        self.workspace: TestRunWindow | None = None
        self.open_action = QAction("&Test Run…", window)
        self.open_action.setObjectName("test-run")
        self.open_action.setShortcut(QKeySequence(SHORTCUT))
        self.open_action.setStatusTip("Run the conversation over a table of cases and several "
                                      "targets, with checks; see the results grid")
        self.open_action.triggered.connect(lambda _c=False: self.show_workspace())
        self.open_run_action = QAction("Open Test R&un…", window)
        self.open_run_action.setObjectName("open-test-run")
        self.open_run_action.setStatusTip("Open a test run's folder and show its results grid")
        self.open_run_action.triggered.connect(lambda _c=False: self.show_workspace().choose_run())

    def show_workspace(self, *, fresh: bool = False) -> TestRunWindow:
        """The workspace, made over the current conversation the first time (or ``fresh``)."""
        # The test-run core (jsonschema, the runner) loads with the workspace, not the window.
        from composer.views.testrun.workspace import TestRunWindow

        if self.workspace is None or fresh:
            if self.workspace is not None:
                self.workspace.close()
            path = self.window.file_path
            self.workspace = TestRunWindow(
                self.window.document.conversation, key_trust=self.run.key_trust,
                base_dir=Path(path).resolve().parent if path else Path.cwd(),
                parent=self.window)
            self.workspace.current_conversation = lambda: self.window.document.conversation
            self.workspace.http_client = self.window.http_client
            compare = getattr(self.window, "compare_ui", None)
            if compare is not None:
                self.workspace.known_models = compare.known_models
            if path:
                self.workspace.draft.name = Path(path).stem
                self.workspace.editor.set_draft(self.workspace.draft)
        self.workspace.show()
        self.workspace.raise_()
        self.workspace.activateWindow()
        return self.workspace

    def open_run(self, folder: str | Path):
        return self.show_workspace().open_run(folder)

    def shutdown(self) -> None:
        if self.workspace is not None:
            self.workspace.close()


def install(window: MainWindow, run: RunController) -> TestRunUI:
    ui = TestRunUI(window, run)
    if run.menu is not None:
        run.menu.addSeparator()
        run.menu.addAction(ui.open_action)
    recent = window.commands.recent_menu
    file_menu = recent.parentWidget() if recent is not None else None
    if file_menu is not None:  # File ▸ Open, Open Recent, Open Test Run…
        actions = file_menu.actions()
        at = actions.index(recent.menuAction()) + 1
        file_menu.insertAction(actions[at] if at < len(actions) else None, ui.open_run_action)
    window.closed.connect(ui.shutdown)
    return ui


__all__ = ["TestRunUI", "TestRunWindow", "install"]
