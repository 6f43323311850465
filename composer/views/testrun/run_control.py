"""Starting, confirming and stopping a test run from the window: the core's ``Runner`` on the qasync
loop (composer.run.testrun.runner), the same code ``llm-composer run`` drives.

Before anything is sent: the run folder is read off the GUI thread (``Runner.prepare``), then
one question shows the plan (cells, what is already done, the calls to send and their estimated
cost: ``Estimate.describe()``) and the preflight's refusals. A key bound for a base URL the suite
named (not the user) is held back, as at Send; a box in the question allows those hosts for
this session (composer.providers.trust), like the answer to Send's question. Other refusals (a
missing key) stop the run before it starts, said in one line each.

Events reach ``on_event`` on the loop's thread (the GUI thread under qasync); Stop cancels the
calls in flight (the core writes nothing for them; Resume sends them again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.providers.refused import RequestRefused
from composer.providers.threads import in_thread
from composer.providers.transport import Call, CallConfig
from composer.providers.trust import KeyTarget, TrustedHosts
from composer.run.prepare import prepare_call
from composer.run.testrun import RunEvent, Runner, Suite

Button = QMessageBox.StandardButton


class TestRunControl(QObject):
    """One test run at a time (see the module docstring)."""

    prepared = Signal(object)  # the Runner, prepared: its kept cells can be shown
    started = Signal()
    finished = Signal(object)  # RunSummary
    failed = Signal(str)  # one line: nothing (more) was sent
    cancelled = Signal()  # the plan was not confirmed

    def __init__(self, parent: QWidget, key_trust: TrustedHosts,
                 on_event: Callable[[RunEvent], None]):
        super().__init__(parent)
        self.parent_widget = parent
        self.key_trust = key_trust
        self.on_event = on_event
        self.config = CallConfig()
        self.runner: Runner | None = None
        self.task: asyncio.Task | None = None
        self.question: QMessageBox | None = None
        self.trust_box: QCheckBox | None = None
        self._untrusted: dict[tuple[str, str], KeyTarget] = {}
        self._busy = False  # from Run to the end (finished or failed said)
        self._sending = False  # from the confirmed plan to the end

    @property
    def running(self) -> bool:
        """From Run (the folder being read, the question open) to the end of the run."""
        return self._busy

    @property
    def sending(self) -> bool:
        """The calls are going out (Stop has something to stop)."""
        return self._busy and self._sending

    def make_call(self, conversation: Conversation, client) -> Call:
        """The window's CallFactory: prepare_call with the window's trusted hosts."""
        prepared = prepare_call(conversation, client=client, config=self.config,
                                trusted=self.key_trust)
        target = prepared.key_target
        if target is not None:
            self._untrusted[(target.key, target.origin)] = target
            raise RequestRefused(target.refusal(
                "tick \u201cSend my keys to these base URLs\u201d to allow it"))
        return prepared.call

    def plan(self, suite: Suite, folder: Path, *, resume: bool) -> asyncio.Task | None:
        """Read the folder off the GUI thread, then ask to confirm the plan (``question``)."""
        if self.running:
            return None
        self._busy = True
        self.runner = Runner(suite, folder, self.make_call, resume=resume,
                             on_event=self._on_event)
        self.task = asyncio.ensure_future(self._plan(self.runner))
        return self.task

    async def _plan(self, runner: Runner) -> None:
        from composer.models import pricing

        try:
            await in_thread(runner.prepare)
            await in_thread(pricing.warm)  # the estimate and every cell's cost price on the loop
        except (ComposerError, OSError) as exc:
            self._fail(str(exc))
            return
        self._untrusted.clear()
        # Each target's call is built, its key looked up: on a worker (a keychain may ask to
        # be unlocked), which leaves the keys known for the Run that follows.
        problems = await in_thread(runner.preflight)
        self.prepared.emit(runner)
        self._ask(runner, problems)

    def _ask(self, runner: Runner, problems: list[str]) -> None:
        suite = runner.suite
        box = self.question = QMessageBox(self.parent_widget)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Start the test run?")
        kept = f", {len(runner.kept)} already done" if runner.kept else ""
        box.setText(f"{suite.name}: {runner.shape()}{kept}.\n"
                    f"To send: {runner.estimate().describe()}.")
        lines = [f"Run folder: {runner.folder}"]
        if runner.budget_usd is not None:
            lines.append(f"Budget: ${runner.budget_usd:g} (new calls stop once it is spent)")
        if problems:
            lines += ["", "Held back:", *(f"• {p}" for p in problems)]
        box.setInformativeText("\n".join(lines))
        self.trust_box = None
        if self._untrusted:
            self.trust_box = QCheckBox("Send my keys to these base URLs (this session)")
            box.setCheckBox(self.trust_box)
        run_button = box.addButton("Run", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(Button.Cancel)
        box.setDefaultButton(run_button)
        box.finished.connect(lambda _r: self._answered(box, box.clickedButton() is run_button))
        box.open()

    def _answered(self, box: QMessageBox, run: bool) -> None:
        self.question = None
        runner = self.runner
        if not run or runner is None:
            self.runner = None
            self._busy = False
            self.cancelled.emit()
            return
        if self.trust_box is not None and self.trust_box.isChecked():
            for target in self._untrusted.values():
                self.key_trust.allow(target, remember=False)
        problems = runner.preflight()
        if problems:
            self._fail("Not started: " + "; ".join(problems))
            return
        self._sending = True
        self.task = asyncio.ensure_future(self._run(runner))
        self.started.emit()

    async def _run(self, runner: Runner) -> None:
        try:
            summary = await runner.run()
        except (ComposerError, OSError) as exc:
            self._fail(f"The run stopped: {exc}")
            return
        self._busy = self._sending = False
        self.finished.emit(summary)

    def _fail(self, line: str) -> None:
        self._busy = self._sending = False
        self.failed.emit(line)

    def _on_event(self, event: RunEvent) -> None:
        self.on_event(event)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def shutdown(self) -> None:
        """The workspace closes: stop the run and drop the question."""
        self.stop()
        if self.question is not None:
            self.question.close()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self._busy = self._sending = False
