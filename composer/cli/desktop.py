"""``llm-composer install-desktop [--uninstall]``: the launcher entry, the icon and the MIME types
in the user's XDG data folder (``$XDG_DATA_HOME``, else ``~/.local/share``). No Qt here.

The entry's ``Exec`` names the ``llm-composer`` this Python runs, so a launcher finds it even when
it lives in a virtualenv that is not on the desktop session's PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from msgspec import Struct

from composer import APP_ID
from composer.cli import error
from composer.paths import RESOURCES

ICON_NAME = "llm-composer"
DESKTOP_DIR = RESOURCES / "desktop"
ICONS_DIR = RESOURCES / "icons"
ENTRY = DESKTOP_DIR / f"{APP_ID}.desktop"
MIME_PACKAGE = DESKTOP_DIR / "llm-composer.xml"
METAINFO = DESKTOP_DIR / f"{APP_ID}.metainfo.xml"


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--uninstall", action="store_true",
                        help="remove what install-desktop put there")


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    # The spec: a relative or empty value is ignored.
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


class Placement(Struct, frozen=True):
    source: Path
    target: Path


def placements(data: Path) -> list[Placement]:
    """Every file install-desktop writes, from the bundled resources."""
    found = [Placement(ENTRY, data / "applications" / ENTRY.name),
             Placement(MIME_PACKAGE, data / "mime" / "packages" / MIME_PACKAGE.name),
             Placement(ICONS_DIR / f"{ICON_NAME}.svg",
                       data / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg")]
    for png in sorted((ICONS_DIR / "hicolor").glob(f"*/apps/{ICON_NAME}.png")):
        found.append(Placement(png, data / "icons" / png.relative_to(ICONS_DIR)))
    return found


def exec_line() -> str:
    """The Exec value: this installation's ``llm-composer`` script, quoted per the spec."""
    script = Path(sys.executable).with_name("llm-composer")
    if not script.is_file():
        found = shutil.which("llm-composer")
        script = Path(found) if found else None
    words = [str(script)] if script else [sys.executable, "-m", "composer"]
    return " ".join(_quote(w) for w in words) + " open %F"


def _quote(word: str) -> str:
    if not any(c in word for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return word
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
    # Inside a quoted Exec argument a backslash is itself escaped once more in the file.
    return '"' + escaped.replace("\\", "\\\\") + '"'


def entry_text() -> str:
    lines = ENTRY.read_text(encoding="utf-8").splitlines()
    return "\n".join(f"Exec={exec_line()}" if line.startswith("Exec=") else line
                     for line in lines) + "\n"


def install(data: Path) -> list[Path]:
    written = []
    for place in placements(data):
        place.target.parent.mkdir(parents=True, exist_ok=True)
        if place.source == ENTRY:
            place.target.write_text(entry_text(), encoding="utf-8")
        else:
            shutil.copyfile(place.source, place.target)
        written.append(place.target)
    _refresh(data)
    return written


def uninstall(data: Path) -> list[Path]:
    removed = []
    for place in placements(data):
        if place.target.exists():
            place.target.unlink()
            removed.append(place.target)
    _refresh(data)
    return removed


def _refresh(data: Path) -> None:
    """Rebuild the desktop's caches where the tools exist; without them the files still work
    after the next login."""
    import subprocess  # here: the window imports this module for APP_ID at every start

    for tool, folder in (("update-mime-database", data / "mime"),
                         ("update-desktop-database", data / "applications")):
        if shutil.which(tool) and folder.is_dir():
            try:
                subprocess.run([tool, str(folder)], capture_output=True, timeout=60, check=False)
            except (OSError, subprocess.TimeoutExpired):
                pass


def run(args: argparse.Namespace, verb: str) -> int:
    data = data_home()
    try:
        paths = uninstall(data) if args.uninstall else install(data)
    except OSError as exc:
        error(f"{exc.filename or data}: {exc.strerror or exc}")
        return 1
    word = "removed" if args.uninstall else "installed"
    for path in paths:
        print(f"{word} {path}")
    if args.uninstall and not paths:
        print(f"nothing to remove under {data}")
    return 0
