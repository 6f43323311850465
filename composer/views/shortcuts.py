"""The window's commands and their keys: every action with a name, where it lives, its default and
current keys; collisions between keys that are active at the same time; the user's rebindings
(``shortcuts.json`` in the user directory: command id -> keys in portable text, "" for none); and
the keys that move the focus between the window's four areas.

Two shortcuts collide when they have the same key and their scopes overlap: a window-wide key
and a key of a widget inside that window are both live while the widget has the focus, and Qt
then runs neither ("ambiguous shortcut").
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from msgspec import Struct
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QWidget

Context = Qt.ShortcutContext
Portable = QKeySequence.SequenceFormat.PortableText
Native = QKeySequence.SequenceFormat.NativeText
_DEFAULT = "composer_default_keys"


class Command(Struct, frozen=True):
    id: str
    action: QAction
    where: str  # the menu it is in ("Conversation"), or the area that owns it

    @property
    def title(self) -> str:
        return plain(self.action.text())

    def keys(self) -> list[QKeySequence]:
        return [k for k in self.action.shortcuts() if not k.isEmpty()]

    def default_keys(self) -> list[QKeySequence]:
        return [QKeySequence(k) for k in self.action.property(_DEFAULT) or []]


def plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", plain(text).lower()).strip("-")


def key_text(keys: Iterable[QKeySequence]) -> str:
    return ", ".join(k.toString(Native) for k in keys)


def _build_deferred(window: QWidget) -> None:
    """Build the parts of the window still to be built (composer/views/lazy.py), so a walk
    over the whole window sees their actions too."""
    build = getattr(window, "build_deferred", None)
    if build is not None:
        build()


def _command_id(action: QAction) -> str:
    """The action's stable id (its objectName); its default keys are remembered the first time
    it is seen."""
    if not action.objectName():
        action.setObjectName(_slug(action.text()))
    if action.property(_DEFAULT) is None:
        action.setProperty(_DEFAULT, [k.toString(Portable) for k in action.shortcuts()])
    return action.objectName()


def _named(action: QAction) -> bool:
    return not action.isSeparator() and action.menu() is None and bool(plain(action.text()))


def commands(window: QWidget, *, built_only: bool = False) -> list[Command]:
    """Every named action of the window: its menus first, in menu order, then the actions that
    live on a widget (the table's role keys, the part editor's…). Each gets a stable id (its
    objectName) and remembers its default keys the first time it is seen. Parts of the window
    not built yet are built first, unless ``built_only``."""
    if not built_only:
        _build_deferred(window)
    found: list[Command] = []
    seen: set[int] = set()

    def add(action: QAction, where: str) -> None:
        if id(action) in seen or not _named(action):
            return
        seen.add(id(action))
        found.append(Command(_command_id(action), action, where))

    def walk(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), where)
            else:
                add(action, where)

    menu_bar = getattr(window, "menuBar", None)
    if menu_bar is not None:
        for top in menu_bar().actions():
            if top.menu() is not None:
                walk(top.menu(), plain(top.text()))
    for action in window.findChildren(QAction):
        if action.shortcuts() or action.property(_DEFAULT):
            add(action, _owner_name(action))
    return found


def _owner_name(action: QAction) -> str:
    for obj in action.associatedObjects():
        if isinstance(obj, QWidget) and not isinstance(obj, QMenu):
            return obj.accessibleName() or type(obj).__name__
    parent = action.parent()
    return parent.accessibleName() if isinstance(parent, QWidget) else ""


# -- collisions -------------------------------------------------------------------------------

class Binding(Struct, frozen=True):
    key: str  # portable text of one key sequence
    name: str  # what it triggers
    scope: QWidget | None  # None: the whole application
    owner: int  # id() of the QAction/QShortcut: one action on a menu and a toolbar is one key


def _scopes(obj: QObject, context: Context) -> list[QWidget | None]:
    if context == Context.ApplicationShortcut:
        return [None]
    if isinstance(obj, QShortcut):  # PySide6's QShortcut has no parentWidget()
        widgets = [obj.parent()] if isinstance(obj.parent(), QWidget) else []
    else:
        widgets = [w for w in obj.associatedObjects()
                   if isinstance(w, QWidget) and not isinstance(w, QMenu)]
        if not widgets and isinstance(obj.parent(), QWidget):
            widgets = [obj.parent()]
    if context == Context.WindowShortcut:
        return list({id(w.window()): w.window() for w in widgets if w is not None}.values())
    return [w for w in widgets if w is not None]


def bindings(root: QWidget) -> list[Binding]:
    """Every key of every QAction and QShortcut under ``root`` (and the window's own)."""
    _build_deferred(root)
    out: list[Binding] = []
    objects: list[QObject] = [*root.actions(), *root.findChildren(QAction),
                              *root.findChildren(QShortcut)]
    done: set[int] = set()
    for obj in objects:
        if id(obj) in done:
            continue
        done.add(id(obj))
        if isinstance(obj, QShortcut):
            keys, context, name = obj.keys(), obj.context(), obj.objectName() or "shortcut"
        else:
            keys, context, name = obj.shortcuts(), obj.shortcutContext(), plain(obj.text())
        for scope in _scopes(obj, context):
            for key in keys:
                if not key.isEmpty():
                    out.append(Binding(key.toString(Portable), name, scope, id(obj)))
    return out


def _overlap(a: QWidget | None, b: QWidget | None) -> bool:
    if a is None or b is None:
        return True
    return a is b or a.isAncestorOf(b) or b.isAncestorOf(a)


def collisions(root: QWidget) -> list[tuple[str, list[str]]]:
    """(key, the names it triggers) for every key bound twice where both are live at once."""
    by_key: dict[str, list[Binding]] = {}
    for b in bindings(root):
        by_key.setdefault(b.key, []).append(b)
    found = []
    for key, group in by_key.items():
        names = set()
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.owner != b.owner and _overlap(a.scope, b.scope):
                    names.update((a.name, b.name))
        if names:
            found.append((key, sorted(names)))
    return found


def conflict(window: QWidget, command: Command, key: QKeySequence) -> Command | None:
    """The command already on ``key`` that would collide with ``command`` taking it."""
    text = key.toString(Portable)
    mine = _scopes(command.action, command.action.shortcutContext())
    for other in commands(window):
        if other.action is command.action:
            continue
        if text not in (k.toString(Portable) for k in other.keys()):
            continue
        theirs = _scopes(other.action, other.action.shortcutContext())
        if any(_overlap(a, b) for a in mine for b in theirs):
            return other
    return None


# -- rebinding --------------------------------------------------------------------------------

def apply(window: QWidget, overrides: dict[str, str]) -> None:
    """Give every command its default keys, then the user's ``overrides``; a part of the window
    built later takes them when it is built (``adopt``)."""
    window.shortcut_overrides = dict(overrides)
    for command in commands(window, built_only=True):
        _rebind(command.action, command.id, overrides)


def _rebind(action: QAction, command_id: str, overrides: dict[str, str]) -> None:
    if command_id in overrides:
        action.setShortcuts([QKeySequence(t) for t in overrides[command_id].split(";") if t])
    else:
        action.setShortcuts([QKeySequence(k) for k in action.property(_DEFAULT) or []])


def adopt(window: QWidget, root: QObject) -> None:
    """The actions of ``root``, a part of ``window`` built after it (a tab, a dock), take the
    user's keys as the window's other actions did."""
    overrides = getattr(window, "shortcut_overrides", None)
    if not overrides:
        return  # every action has its default keys already
    for action in root.findChildren(QAction):
        if _named(action):
            _rebind(action, _command_id(action), overrides)


FILE_NAME = "shortcuts.json"


def load_overrides(user_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The saved rebindings; a missing or damaged file means the defaults."""
    try:
        data = json.loads((Path(user_dir) / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def save_overrides(user_dir: str | os.PathLike[str], overrides: dict[str, str]) -> None:
    from composer.models.files import atomic_write_text

    atomic_write_text(Path(user_dir) / FILE_NAME, json.dumps(overrides, indent=2) + "\n")


def keys_dir(window) -> Path:
    # A window opened for a handed-over file keeps its draft apart but shares the user's keys.
    return Path(getattr(window, "shared_user_dir", window.user_dir))


def install(window) -> None:
    """The focus keys, then the user's saved keys (after every action the window starts with
    exists). With none saved every action already has its default keys: nothing is walked."""
    install_focus_keys(window)
    overrides = load_overrides(keys_dir(window))
    if overrides:
        apply(window, overrides)
    else:
        window.shortcut_overrides = {}


def overrides_of(window: QWidget) -> dict[str, str]:
    """What differs from the defaults, as ``shortcuts.json`` stores it."""
    out = {}
    for command in commands(window):
        now = [k.toString(Portable) for k in command.keys()]
        if now != [k.toString(Portable) for k in command.default_keys()]:
            out[command.id] = ";".join(now)
    return out


# -- moving the focus -------------------------------------------------------------------------

def install_focus_keys(window) -> list[QAction]:
    """View ▸ Go to: Alt+1..5 put the focus in the table, the part editor, the request panel,
    the results and the compose box, so no area needs the mouse to reach."""
    areas = [("&Table", "Alt+1", lambda: window.table),
             ("Part &Details", "Alt+2", lambda: window.detail),
             ("Re&quest Panel", "Alt+3", lambda: window.request_panel),
             ("Res&ults", "Alt+4", lambda: window.output_tabs.currentWidget()),
             ("&Compose", "Alt+5", lambda: window.compose.edit)]
    menu = window.commands.view_menu.addMenu("&Go To")
    made = []
    for text, key, target in areas:
        action = QAction(text, window)
        action.setObjectName("go-to-" + _slug(text))
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _c=False, t=target: focus_into(t()))
        menu.addAction(action)
        made.append(action)
    return made


def add_close_key(window: QWidget) -> QShortcut:
    """The platform's Close key (Ctrl+W; Cmd+W on macOS) closes ``window``, a window of its own
    (compare, test run, reply diff): before, only a window manager's button closed one. A
    shortcut, not an action: it is no command of the main window's to rebind."""
    shortcut = QShortcut(QKeySequence.StandardKey.Close, window)
    shortcut.setObjectName("close window")
    shortcut.setContext(Context.WindowShortcut)
    shortcut.activated.connect(window.close)
    return shortcut


def focus_into(widget: QWidget | None) -> None:
    """Focus ``widget``, or else its first child that takes the keyboard focus."""
    if widget is None or not widget.isVisible():
        return
    if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isEnabled():
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return
    for child in widget.findChildren(QWidget):
        if child.isVisibleTo(widget) and child.isEnabled() \
                and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
            child.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
    widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
