"""The compare dialog: the 2–6 targets the conversation goes to, a row each (preset, model,
temperature, max tokens, base URL). Opened with ``open()``; Send emits ``targets_chosen`` with
the targets, each read through the core's option parsers (a value that does not parse is shown
under its row and nothing is sent). List fetches a row's model list as the request panel does
(composer/run/model_list.py). A base URL typed here is the user's own choice (the trust
rule lets it receive the key); an empty one means the preset's server, or the conversation's
for a target on the conversation's own provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.options import option_text, parse_option
from composer.models.problems import SettingsError
from composer.models.settings import RequestSettings
from composer.providers import presets
from composer.providers.trust import TrustedHosts
from composer.run.compare import MAX_TARGETS
from composer.run.model_list import failure_note, offered_models
from composer.run.targets import Target
from composer.views.setting_editors import error_label, show_text
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    import httpx

MIN_TARGETS = 2
PARAMS = (("temperature", "default"), ("max_tokens", "default"))
HEADINGS = ("Preset", "Model", "Temperature", "Max tokens", "Base URL", "")


class TargetRow:
    """The widgets of one target; ``target()`` reads them (SettingsError when a value is bad)."""

    def __init__(self, target: Target, known_models: dict[str, list[str]],
                 inherited: RequestSettings | None = None):
        self.base = target  # what the row does not show (other options, label) is kept
        self.known_models = known_models
        # The conversation's settings, which an empty cell takes (Target.settings).
        self.inherited = inherited
        self.preset = QComboBox()
        for p in presets.PRESETS:
            self.preset.addItem(p.title, p.name)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model.setMinimumContentsLength(18)
        self.model.lineEdit().setPlaceholderText("model name")
        self.params = {name: QLineEdit() for name, _ in PARAMS}
        for (name, hint), edit in zip(PARAMS, self.params.values(), strict=True):
            value = inherited.options.get(name) if inherited else None
            if value is None:
                edit.setPlaceholderText(hint)
            else:
                edit.setPlaceholderText(option_text(name, value))
                edit.setToolTip(f"Empty: the conversation's {option_text(name, value)}")
            edit.setMaximumWidth(90)
            edit.setText(option_text(name, target.options.get(name)))
        self.base_url = QLineEdit(target.base_url or "")
        self.base_url.setClearButtonEnabled(True)
        self.base_url.setMinimumWidth(200)
        self.list_button = QToolButton()
        self.list_button.setText("List")
        self.list_button.setToolTip("Fetch the provider's model list")
        self.model_cell = QWidget()
        cell = QHBoxLayout(self.model_cell)
        cell.setContentsMargins(0, 0, 0, 0)
        cell.setSpacing(2)
        cell.addWidget(self.model, 1)
        cell.addWidget(self.list_button)
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.problem = error_label()
        self.fetch: asyncio.Task | None = None
        index = self.preset.findData(_preset_name(target.provider))
        self.preset.setCurrentIndex(max(index, 0))
        self._fill_models(target.model)
        self.preset.currentIndexChanged.connect(lambda _i: self._on_preset_changed())
        self._name_widgets()

    def widgets(self) -> list[QWidget]:
        """The row's cells, in the grid's column order."""
        return [self.preset, self.model_cell, *self.params.values(), self.base_url, self.remove]

    def _name_widgets(self) -> None:
        named = [self.preset, self.model, *self.params.values(), self.base_url, self.remove]
        for widget, name in zip(named, HEADINGS[:-1] + ("Remove target",), strict=True):
            widget.setAccessibleName(name)
        self.list_button.setAccessibleName("List models")

    # -- the provider's model list --------------------------------------------------------------

    def list_models(self, client: httpx.AsyncClient | None,
                    trusted: TrustedHosts | None) -> asyncio.Task:
        """Fetch the preset's models into the combo (a failure is one line under the row)."""
        self.cancel_fetch()
        self.list_button.setEnabled(False)
        self.fetch = asyncio.ensure_future(self._fetch(client, trusted))
        return self.fetch

    def cancel_fetch(self) -> None:
        if self.fetch is not None and not self.fetch.done():
            self.fetch.cancel()
        self.fetch = None

    async def _fetch(self, client: httpx.AsyncClient | None,
                     trusted: TrustedHosts | None) -> None:
        typed = self.base_url.text().strip()
        try:
            names = await offered_models(presets.resolve(self.preset.currentData()),
                                         typed or None, chosen=bool(typed), trusted=trusted,
                                         client=client)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure is one line, never a crash
            show_text(self.problem, failure_note(exc))
            return
        finally:
            self.list_button.setEnabled(True)
        show_text(self.problem, "" if names else "The provider listed no models.")
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(names)
        self.model.setCurrentText(current)

    def _fill_models(self, model: str) -> None:
        self.model.clear()
        self.model.addItems(self.known_models.get(self.preset.currentData(), []))
        self.model.setCurrentText(model)
        preset = presets.resolve(self.preset.currentData())
        inherited = self.inherited
        if inherited and inherited.base_url and _preset_name(inherited.provider) == preset.name:
            hint = inherited.base_url  # what an empty cell sends to (Target.settings)
        else:
            hint = preset.base_url or ("an exchange file" if preset.protocol == "replay"
                                       else "required: http://host:port/v1"
                                       if preset.needs_base_url else "")
        self.base_url.setPlaceholderText(hint)

    def _on_preset_changed(self) -> None:
        models = self.known_models.get(self.preset.currentData(), [])
        self._fill_models(models[0] if models else "")

    def options(self, *, lenient: bool = False) -> dict[str, Any]:
        """The row's options: what it does not show, then its cells (SettingsError for a bad
        value; ``lenient`` leaves that one out instead)."""
        options: dict[str, Any] = {k: v for k, v in self.base.options.items()
                                   if k not in self.params}
        for name, edit in self.params.items():
            try:
                value = parse_option(name, edit.text())
            except SettingsError:
                if not lenient:
                    raise
                continue
            if value is not None:
                options[name] = value
        return options

    def target(self) -> Target:
        options = self.options()
        provider = self.preset.currentData()
        same = provider == _preset_name(self.base.provider)
        return Target(provider, self.model.currentText().strip(),
                      self.base_url.text().strip() or None, options,
                      dict(self.base.extra_body) if same else {},
                      self.base.label if same else "")


def _preset_name(provider: str) -> str:
    try:
        return presets.resolve(provider).name
    except presets.UnknownProvider:
        return provider


class CompareDialog(QDialog):
    targets_chosen = Signal(list)  # list[Target]

    def __init__(self, targets: Sequence[Target], parent: QWidget | None = None, *,
                 known_models: dict[str, list[str]] | None = None,
                 http_client: httpx.AsyncClient | None = None,
                 trusted: TrustedHosts | None = None,
                 inherited: RequestSettings | None = None):
        super().__init__(parent)
        self.inherited = inherited
        self.http_client = http_client
        self.trusted = trusted
        self.setWindowTitle("Compare Targets")
        self.known_models = known_models or {}
        self.rows: list[TargetRow] = []
        intro = WrappedLabel("Send the conversation to each target at once and watch the replies "
                             "side by side. Requests to one server on this machine go one at a "
                             "time.")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        for column, text in enumerate(HEADINGS):
            self.grid.addWidget(QLabel(f"<b>{text}</b>"), 0, column)
        self.grid.setColumnStretch(1, 2)
        self.grid.setColumnStretch(4, 3)
        self.add_button = QPushButton("&Add Target")
        self.add_button.clicked.connect(lambda: self.add_row(self._next_target()))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton("&Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setDefault(True)
        self.buttons.accepted.connect(self._on_send)
        self.buttons.rejected.connect(self.reject)
        self.finished.connect(lambda _result: [row.cancel_fetch() for row in self.rows])
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        layout.addLayout(bottom)
        for target in list(targets)[:MAX_TARGETS]:
            self.add_row(target)
        while len(self.rows) < MIN_TARGETS:
            self.add_row(self._next_target())
        self.resize(900, self.sizeHint().height())

    def add_row(self, target: Target) -> TargetRow | None:
        if len(self.rows) >= MAX_TARGETS:
            return None
        row = TargetRow(target, self.known_models, self.inherited)
        row.remove.clicked.connect(lambda: self.remove_row(row))
        row.list_button.clicked.connect(lambda: row.list_models(self.http_client, self.trusted))
        self.rows.append(row)
        self._lay_out()
        row.model.setFocus()
        return row

    def remove_row(self, row: TargetRow) -> None:
        if len(self.rows) <= MIN_TARGETS:
            return
        self.rows.remove(row)
        row.cancel_fetch()
        for widget in [*row.widgets(), row.problem]:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self._lay_out()

    def _lay_out(self) -> None:
        for i, row in enumerate(self.rows):
            line = 1 + 2 * i
            for column, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, line, column)
            self.grid.addWidget(row.problem, line + 1, 0, 1, len(HEADINGS))
            row.remove.setEnabled(len(self.rows) > MIN_TARGETS)
            row.remove.setToolTip(f"Remove target {i + 1}")
        self.add_button.setEnabled(len(self.rows) < MAX_TARGETS)

    def _next_target(self) -> Target:
        """A new row starts as the last one, for another model: its preset, server and
        parameters (a value that does not parse is left out)."""
        if not self.rows:
            return Target("replay")
        last = self.rows[-1]
        listed = [last.model.itemText(i) for i in range(last.model.count())]
        provider = last.preset.currentData()
        if listed:
            known = self.known_models.setdefault(provider, [])
            known.extend(name for name in listed if name not in known)
        return Target(provider, "", last.base_url.text().strip() or None,
                      last.options(lenient=True))

    def targets(self) -> list[Target] | None:
        """The rows' targets; None when a value does not parse (shown under its row)."""
        found: list[Target] = []
        bad = False
        for row in self.rows:
            try:
                found.append(row.target())
                show_text(row.problem, "")
            except SettingsError as exc:
                show_text(row.problem, str(exc))
                bad = True
        return None if bad else found

    def _on_send(self) -> None:
        targets = self.targets()
        if targets is None:
            return
        self.targets_chosen.emit(targets)
        self.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Ctrl+Enter sends from any field, as it does in the main window.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._on_send()
            return
        super().keyPressEvent(event)
