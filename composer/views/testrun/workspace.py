"""The test-run workspace: a window beside the main one (Run ▸ Test Run…) holding a suite being
edited (composer/views/testrun/suite_editor.py), the results grid (grid_view.py) and the cell
shown below it (its verdicts and its reply in a results pane).

A suite comes from the current conversation (its variables become the case columns) or from a
suite file; a run goes into a run folder the user picks (by default ``runs/NAME-TIME`` beside
the suite); a run folder opened later shows the same grid, rebuilt from its files
(``load_run``, off the GUI thread), and Resume sends only its missing cells. A baseline run
folder adds each column's pass-rate change and marks the cells whose status changed. Every file
read goes through the core; what goes wrong is one line in the status bar or under its field.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.models.exchange import Exchange
from composer.providers.threads import in_thread
from composer.providers.trust import TrustedHosts
from composer.run.compare import MAX_TARGETS
from composer.run.targets import Target, TargetError, parse_target
from composer.run.testrun import (
    BudgetReached,
    CellFinished,
    CellStarted,
    RunEvent,
    RunFolderError,
    Runner,
    RunSummary,
    SuiteError,
    load_run,
    load_suite,
)
from composer.run.testrun.cases import CaseError
from composer.run.testrun.draft import SuiteDraft, load_cases, parse_target_lines, target_line
from composer.run.testrun.folder import slug
from composer.run.testrun.grid import Grid, GridCell
from composer.views.compare.targets_dialog import CompareDialog
from composer.views.reply_diff import show_exchange_diff
from composer.views.shortcuts import add_close_key
from composer.views.testrun.cell_view import CellView
from composer.views.testrun.grid_view import CellRole, GridModel, GridView
from composer.views.testrun.run_control import TestRunControl
from composer.views.testrun.suite_editor import SuiteEditor
from composer.views.wrapped_label import WrappedLabel

RUNS = "runs"
SUITE_FILTER = "Suites (*.json)"
CASES_FILTER = "Cases (*.csv *.jsonl *.ndjson *.json)"
# (title, default path, then) -> the dialog; tests hand in one that answers at once.
ChooseFile = Callable[[str, Path | None, Callable[[Path], None]], object]


class TestRunWindow(QMainWindow):
    def __init__(self, conversation: Conversation, *, key_trust: TrustedHosts,
                 base_dir: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Test Run — Composer")
        self.setObjectName("test-run-window")
        add_close_key(self)
        self.base_dir = base_dir  # where a new suite's runs go when it has no file
        self.suite_path: Path | None = None
        self.run_folder: Path | None = None
        self.grid: Grid | None = None
        self.task: asyncio.Task | None = None  # reading a run folder or a cases file
        self.dialog: QFileDialog | CompareDialog | None = None
        self.diff_window = None
        self.spent = 0.0
        self.budget_note = ""  # said at the end of the run too
        self.draft = SuiteDraft.from_conversation(conversation, base_dir=base_dir)
        self.editor = SuiteEditor(self.draft)
        self.editor.load_cases_requested.connect(self.choose_cases)
        self.editor.pick_targets_requested.connect(self.pick_targets)
        self.editor.changed.connect(self._on_editor_changed)
        self._problem = ""  # the suite's problem the status bar says, until the next edit
        self.key_trust = key_trust
        # For the targets dialog: the models to offer per preset, the client that lists more.
        self.known_models: Callable[[], dict[str, list[str]]] = dict
        self.http_client = None
        self.control = TestRunControl(self, key_trust, self._on_event)
        self.control.prepared.connect(self._on_prepared)
        self.control.started.connect(self._update_actions)
        self.control.cancelled.connect(self._on_cancelled)
        self.control.finished.connect(self._on_finished)
        self.control.failed.connect(self._on_failed)

        self.model = GridModel(None, self)
        self.model.flushed.connect(self._show_progress)
        self._done_total = (0, 0)
        self.view = GridView(self.model)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        grid_box = self._grid_area()

        self.cell_view = CellView()
        self.cell_view.repeat_chosen.connect(self._update_actions)
        self.pane = self.cell_view.pane
        self.verdicts = self.cell_view.verdicts
        self.repeat_choice = self.cell_view.repeat_choice
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(grid_box)
        right.addWidget(self.cell_view)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.editor)
        main.addWidget(right)
        main.setStretchFactor(0, 2)
        main.setStretchFactor(1, 5)
        for splitter in (right, main):
            splitter.setChildrenCollapsible(False)
        self.setCentralWidget(main)
        self.progress = QLabel()
        self.statusBar().addPermanentWidget(self.progress)
        self.choose_file: ChooseFile = self._choose_file
        # The main window's conversation as it is now (From Conversation); None: not offered.
        self.current_conversation: Callable[[], Conversation] | None = None
        self._make_actions()
        self.resize(1400, 860)
        main.setSizes([400, 1000])
        right.setSizes([520, 340])
        self._update_actions()

    def _grid_area(self) -> QWidget:
        """The filters, the legend, the baseline's name and the grid (a hint until a run)."""
        self.only_failures = QCheckBox("Only &failures")
        self.only_differ = QCheckBox("Only cases whose targets &differ")
        for box in (self.only_failures, self.only_differ):
            box.toggled.connect(self._on_filters_toggled)
        self.baseline_label = QLabel()
        self.baseline_label.setTextFormat(Qt.TextFormat.PlainText)
        filters = QHBoxLayout()
        filters.addWidget(self.only_failures)
        filters.addWidget(self.only_differ)
        filters.addStretch(1)
        legend = QLabel("✓ pass   ✗ fail   ! error   · not run   ◆ changed against the "
                        "baseline")
        legend.setEnabled(False)  # dimmed: a key to the symbols, not news
        filters.addWidget(legend)
        filters.addSpacing(16)
        filters.addWidget(self.baseline_label)
        grid_box = QWidget()
        layout = QVBoxLayout(grid_box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        self.grid_stack = QStackedWidget()
        hint = WrappedLabel("Run the suite (Ctrl+Enter) or open a run folder (Ctrl+Shift+O): "
                            "one row per case, one column per target, a symbol per repeat.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        self.grid_stack.addWidget(hint)
        self.grid_stack.addWidget(self.view)
        layout.addWidget(self.grid_stack, 1)
        return grid_box

    # -- actions -------------------------------------------------------------------------------

    def _action(self, text: str, slot, key: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if key:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({key})" if key and tip else tip or text.replace("&", ""))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _make_actions(self) -> None:
        self.from_conversation_action = self._action(
            "From &Conversation", self.take_conversation, None,
            "Use the main window's conversation as it is now (a new variable is a new column)")
        self.open_suite_action = self._action("Open &Suite…", self.choose_suite, "Ctrl+O",
                                              "Open a suite file")
        self.save_suite_action = self._action("Sa&ve Suite…", self.choose_save_suite, "Ctrl+S",
                                              "Save the suite as a file")
        self.run_action = self._action("&Run", self.start, "Ctrl+Return",
                                       "Send every cell into a new run folder")
        self.stop_action = self._action("S&top", self.stop, "Esc", "Stop the run")
        self.open_run_action = self._action("Open R&un…", self.choose_run, "Ctrl+Shift+O",
                                            "Open a run folder and show its grid")
        self.resume_action = self._action("Res&ume", self.resume, "Ctrl+Shift+Return",
                                          "Send only the cells the run folder lacks")
        self.baseline_action = self._action("&Baseline…", self.choose_baseline, None,
                                            "Compare with another run folder")
        self.diff_action = self._action("&Diff", self.diff_selected, "Ctrl+D",
                                        "Compare the replies of the two selected cells (or "
                                        "two repeats of one cell)")
        bar = QToolBar("Test run", self)
        bar.setObjectName("test-run-toolbar")
        bar.setMovable(False)
        bar.addActions([self.from_conversation_action, self.open_suite_action,
                        self.save_suite_action])
        bar.addSeparator()
        bar.addActions([self.run_action, self.stop_action, self.resume_action])
        bar.addSeparator()
        bar.addActions([self.open_run_action, self.baseline_action, self.diff_action])
        self.addToolBar(bar)

    def _update_actions(self) -> None:
        running = self.control.running
        self.run_action.setEnabled(not running)
        self.stop_action.setEnabled(self.control.sending)
        pending = self.grid is not None and any(
            c.status == "pending" for row in self.grid.cells for c in row)
        self.resume_action.setEnabled(not running and self.run_folder is not None and pending)
        self.baseline_action.setEnabled(self.grid is not None)
        self.diff_action.setEnabled(len(self._selected_exchanges()) == 2)

    # -- the suite ------------------------------------------------------------------------------

    def set_draft(self, draft: SuiteDraft) -> None:
        self.draft = draft
        self.editor.set_draft(draft)

    def take_conversation(self) -> None:
        if self.current_conversation is None:
            return
        self.editor.commit()
        self.draft.take_conversation(self.current_conversation())
        self.editor.set_draft(self.draft)
        self.say(f"The conversation as it is now; columns: {', '.join(self.draft.columns)}")

    def pick_targets(self) -> CompareDialog | None:
        """The compare dialog over the suite's targets (presets, models, List); Use writes its
        rows back as lines."""
        try:
            targets = [parse_target(t) if isinstance(t, str) else Target.from_dict(t)
                       for t in parse_target_lines(self.draft.targets_text)]
        except (SuiteError, TargetError):
            targets = []  # the lines say what is wrong; the dialog starts afresh
        if len(targets) > MAX_TARGETS:
            self.say(f"More than {MAX_TARGETS} targets: edit them as lines")
            return None
        dialog = CompareDialog(targets, self, known_models=self.known_models(),
                               http_client=self.http_client, trusted=self.key_trust,
                               inherited=self.draft.conversation.settings)
        dialog.setWindowTitle("Test Run Targets")
        dialog.send_button.setText("&Use")
        for label in dialog.findChildren(QLabel):
            if label.text().startswith("Send the conversation"):
                label.setText("Each case goes to every target. Calls to one server on this "
                              "machine go one at a time.")
        dialog.targets_chosen.connect(
            lambda chosen: self.editor.targets.setPlainText(
                "\n".join(target_line(t) for t in chosen)))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_suite(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            suite = load_suite(path)
        except (ComposerError, OSError) as exc:
            self.say(str(exc))
            return False
        self.suite_path = path
        self.set_draft(SuiteDraft.from_suite(suite))
        self.say(f"Opened {path}" + (f" ({suite.warnings[0]})" if suite.warnings else ""))
        return True

    def save_suite(self, path: str | Path) -> bool:
        self.editor.commit()
        try:
            self.draft.save(path)
        except (ComposerError, OSError) as exc:
            self.say_problem(f"Not saved: {exc}")
            return False
        self.suite_path = Path(path)
        self.say(f"Saved {path}")
        return True

    def load_cases_file(self, path: str | Path) -> asyncio.Task:
        """Replace the cases with a file's (read off the GUI thread); a bad file is said under
        the table with the core's message naming the line."""
        async def read() -> None:
            try:
                cases = await in_thread(load_cases, path)
            except (CaseError, OSError) as exc:
                self.editor.show_cases_problem(str(exc))
                return
            self.editor.show_cases_problem("")
            self.editor.cases.set_cases(cases)
            self.say(f"{len(cases)} case(s) from {Path(path).name}")

        self.task = asyncio.ensure_future(read())
        return self.task

    def build_suite(self):
        """The draft as a Suite, or None after saying what is wrong."""
        self.editor.commit()
        source = str(self.suite_path) if self.suite_path else "suite"
        try:
            return self.draft.build(source)
        except (ComposerError, OSError) as exc:
            self.say_problem(str(exc))
            return None

    # -- running -------------------------------------------------------------------------------

    def default_run_folder(self, name: str) -> Path:
        base = self.suite_path.resolve().parent if self.suite_path else self.base_dir
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return (base or Path.cwd()) / RUNS / f"{slug(name)}-{stamp}"

    def start(self) -> None:
        """Run the suite into a run folder the user picks (then confirm the plan)."""
        suite = self.build_suite()
        if suite is None or self.control.running:
            return
        self.dialog = self.choose_file("Run Folder", self.default_run_folder(suite.name),
                                       lambda folder: self.run_into(folder))

    def run_into(self, folder: str | Path, *, resume: bool = False) -> asyncio.Task | None:
        suite = self.build_suite()
        if suite is None:
            return None
        self.run_folder = Path(folder)
        return self.control.plan(suite, self.run_folder, resume=resume)

    def resume(self) -> asyncio.Task | None:
        if self.run_folder is None:
            return None
        return self.run_into(self.run_folder, resume=True)

    def stop(self) -> None:
        self.control.stop()

    def _on_prepared(self, runner: Runner) -> None:
        grid = Grid(runner.suite)
        for result in runner.kept:
            grid.add(result)
        self.spent = runner.spent_usd
        self.budget_note = ""
        self._show_grid(grid)
        self._progress(len(runner.kept), len(runner.cells))

    def _on_event(self, event: RunEvent) -> None:
        if self.grid is None:
            return
        if isinstance(event, CellStarted):
            cell = event.cell
            self.model.note_changed(self.grid.started(cell.target_index, cell.case.id))
        elif isinstance(event, CellFinished):
            self.model.note_changed(self.grid.add(event.result))
            self.spent = event.spent_usd
            self._done_total = (event.done, event.total)  # shown at the grid's next flush
        elif isinstance(event, BudgetReached):
            self.budget_note = (f"Budget reached: ${event.spent_usd:.4f} spent of "
                                f"${event.budget_usd:g}; {event.not_started} cell(s) not sent "
                                "(Resume goes on)")
            self.say(self.budget_note)

    def _progress(self, done: int, total: int) -> None:
        self._done_total = (done, total)
        self._show_progress()

    def _show_progress(self) -> None:
        done, total = self._done_total
        self.progress.setText(f"{done}/{total} cells · ${self.spent:.4f} spent")

    def _on_finished(self, summary: RunSummary) -> None:
        self.model.flush()
        if self.grid is not None:
            self.grid.end_run()  # a stopped cell is not running any more
            self.grid.refresh_baseline()
        self.model.refresh_all()
        counts = summary.counts()
        stopped = " (stopped)" if self.control.runner and self.control.runner.stopped else ""
        self.say(f"Run done{stopped}: {counts['pass']} pass · {counts['fail']} fail · "
                 f"{counts['error']} error · {counts['pending']} not run · "
                 f"${summary.spent_usd:.4f} · {summary.folder}"
                 + (f". {self.budget_note}" if self.budget_note else ""))
        self._update_actions()

    def _on_cancelled(self) -> None:
        self.say("Not started")
        self._update_actions()

    def _on_failed(self, line: str) -> None:
        if self.grid is not None:
            self.grid.end_run()
            self.model.refresh_all()
        self.say(line)
        self._update_actions()

    # -- reopening, baseline ---------------------------------------------------------------------

    def open_run(self, folder: str | Path) -> asyncio.Task:
        """Show a run folder's grid, rebuilt from its files off the GUI thread."""
        folder = Path(folder)

        async def read() -> None:
            try:
                summary = await in_thread(load_run, folder)
            except (RunFolderError, ComposerError, OSError) as exc:
                self.say(str(exc))
                return
            self.run_folder = folder
            self.suite_path = None
            draft = SuiteDraft.from_suite(summary.suite)
            draft.base_dir = folder
            self.set_draft(draft)
            self.spent = summary.spent_usd
            self._show_grid(Grid.of_summary(summary))
            counts = summary.counts()
            self._progress(len(summary.results) - counts["pending"], len(summary.results))
            self.say(f"Opened run {folder}: {counts['pass']} pass · {counts['fail']} fail · "
                     f"{counts['error']} error · {counts['pending']} not run")

        self.task = asyncio.ensure_future(read())
        return self.task

    def set_baseline(self, folder: str | Path) -> asyncio.Task:
        folder = Path(folder)

        async def read() -> None:
            try:
                baseline = await in_thread(load_run, folder)
            except (RunFolderError, ComposerError, OSError) as exc:
                self.say(str(exc))
                return
            if self.grid is None:
                return
            self.grid.set_baseline(baseline, folder.name)
            changed = len(self.grid.comparison.changed) if self.grid.comparison else 0
            self.baseline_label.setText(f"Baseline: {folder.name} · {changed} cell(s) changed")
            self.model.refresh_all()

        self.task = asyncio.ensure_future(read())
        return self.task

    def _show_grid(self, grid: Grid) -> None:
        self.grid = grid
        self.baseline_label.clear()
        self.model.set_grid(grid)
        self.grid_stack.setCurrentWidget(self.view)
        self.view.fit_columns()
        self._update_actions()

    # -- cells ---------------------------------------------------------------------------------

    def _on_filters_toggled(self) -> None:
        self.model.set_filters(self.only_failures.isChecked(), self.only_differ.isChecked())

    def _selected_cells(self) -> list[tuple[str, GridCell]]:
        out = []
        for index in sorted(self.view.selectionModel().selectedIndexes(),
                            key=lambda i: (i.column(), i.row())):
            cell = index.data(CellRole)
            if cell is not None:
                row, column = self.model.position(index)
                title = f"{self.grid.suite.targets[column].name} · {self.grid.suite.cases[row].id}"
                out.append((title, cell))
        return out

    def _selected_exchanges(self) -> list[tuple[str, Exchange]]:
        return self.cell_view.to_diff()

    def _on_selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        self.cell_view.show_cells(self._selected_cells())
        self._update_actions()

    def diff_selected(self):
        chosen = self._selected_exchanges()
        if len(chosen) != 2:
            self.say("Select two cells with a reply to compare them")
            return None
        (title_a, a), (title_b, b) = chosen
        self.diff_window = show_exchange_diff(self, title_a, a, title_b, b)
        return self.diff_window

    # -- dialogs -------------------------------------------------------------------------------

    def say(self, line: str) -> None:
        self.statusBar().showMessage(line, 0)

    def say_problem(self, line: str) -> None:
        """Say what is wrong with the suite; the next edit takes it away (the tab's own line
        still says a targets or checks problem, and Run or Save says any that is left)."""
        self.say(line)
        self._problem = line

    def _on_editor_changed(self) -> None:
        if self._problem and self.statusBar().currentMessage() == self._problem:
            self.statusBar().clearMessage()
        self._problem = ""

    def _choose_file(self, title: str, default: Path | None, then: Callable[[Path], None],
                     *, mode: str = "save", filters: list[str] | None = None) -> QFileDialog:
        dialog = QFileDialog(self, title)
        if mode == "folder":
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        elif mode == "open":
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        else:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        if filters:
            dialog.setNameFilters(filters)
        if default is not None:
            if mode == "save":
                # A folder still to be made (runs/ before the first run) is named from the
                # nearest one that exists: the dialog would drop it and offer cwd instead.
                start = next(p for p in default.parents if p.is_dir() or p == p.parent)
                dialog.setDirectory(str(start))
                dialog.selectFile(str(default.relative_to(start)))
            else:
                dialog.setDirectory(str(default))
        dialog.fileSelected.connect(lambda path: then(Path(path)))
        dialog.open()
        return dialog

    def _folder(self) -> Path | None:
        if self.suite_path:
            return self.suite_path.resolve().parent
        return self.base_dir

    def choose_suite(self) -> None:
        self.dialog = self._choose_file("Open Suite", self._folder(), self.open_suite,
                                        mode="open", filters=[SUITE_FILTER, "All files (*)"])

    def choose_save_suite(self) -> None:
        default = self.suite_path or (self._folder() or Path.cwd()) / \
            f"{slug(self.draft.name)}.suite.json"
        self.dialog = self._choose_file("Save Suite", default, self.save_suite,
                                        filters=[SUITE_FILTER])

    def choose_cases(self) -> None:
        self.dialog = self._choose_file("Load Cases", self._folder(), self.load_cases_file,
                                        mode="open", filters=[CASES_FILTER, "All files (*)"])

    def choose_run(self) -> None:
        runs = (self._folder() or Path.cwd()) / RUNS
        self.dialog = self._choose_file("Open Run Folder", runs if runs.is_dir() else
                                        self._folder(), self.open_run, mode="folder")

    def choose_baseline(self) -> None:
        start = self.run_folder.parent if self.run_folder else self._folder()
        self.dialog = self._choose_file("Baseline Run Folder", start, self.set_baseline,
                                        mode="folder")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.control.shutdown()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        super().closeEvent(event)
