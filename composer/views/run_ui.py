"""The run UI in the window: the results, inspector, events and runs tabs, the Run menu, the
toolbar's run actions and the run figures in the status bar.

``install_run_ui`` returns the ``RunController`` (its ``menu`` is the Run menu); the window
keeps it. The window hands in its error reporter and its file dialog, so the controller never
reaches into the window's private members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from composer.views.run_controller import AskKeyTarget, FileDialog, ReportError, RunController
from composer.views.testrun import install as install_test_runs

if TYPE_CHECKING:
    from composer.views.window import MainWindow


def install_run_ui(window: MainWindow, *, report_error: ReportError, file_dialog: FileDialog,
                   ask_key: AskKeyTarget | None = None) -> RunController:
    """Put the results, inspector and runs into the window, with the Run menu and toolbar."""
    run = RunController(window, report_error=report_error, file_dialog=file_dialog,
                        ask_key=ask_key)
    tabs = window.output_tabs
    while tabs.count():  # the placeholder hint the window starts with
        widget = tabs.widget(0)
        tabs.removeTab(0)
        widget.deleteLater()
    tabs.addTab(run.pane, "Results")
    tabs.addTab(run.pages.inspector_page, "Request")
    tabs.addTab(run.pages.event_log_page, "Events")
    tabs.addTab(run.pages.runs_page, "Runs")
    run.pane.toolbar.addActions([run.append_action, run.answer_action,
                                 run.save_exchange_action])

    menu = QMenu("&Run", window)
    window.menuBar().insertMenu(window.commands.view_menu.menuAction(), menu)
    menu.addActions([run.send_action, run.stop_action])
    menu.addSeparator()
    menu.addActions([run.append_action, run.answer_action])
    menu.addAction(run.keep_action)
    menu.addSeparator()
    menu.addAction(run.save_exchange_action)
    run.menu = menu
    toolbar = window.commands.toolbar
    toolbar.addSeparator()
    toolbar.addActions([run.send_action, run.stop_action, run.append_action])
    window.statusBar().addPermanentWidget(run.stats_label)
    window.status_state.setText("Idle")
    window.closed.connect(run.shutdown)
    window.exchange_opened.connect(lambda exchange: run.show_exchange(exchange, "Opened exchange"))
    run.test_runs = install_test_runs(window, run)  # Run ▸ Test Run…, File ▸ Open Test Run…
    return run
