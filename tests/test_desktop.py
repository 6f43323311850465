"""The desktop files in resources/ and ``llm-composer install-desktop``: what a launcher, a file
manager and a software centre read. No Qt here."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from composer import paths
from composer.cli import desktop
from composer.main import main, with_verb
from composer.models import schema

ROOT = Path(__file__).resolve().parent.parent
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_run_time_resources_are_found_in_the_top_level_folder_from_a_checkout():
    assert paths.RESOURCES == ROOT / "resources"
    assert (paths.EXAMPLES / "conversation.json").is_file()
    assert (paths.EXAMPLES / "exchange.json").is_file()
    assert schema.SCHEMA_DIR == paths.RESOURCES / "schema"
    assert sorted(p.name for p in schema.SCHEMA_DIR.glob("*.json")) == [
        "conversation.schema.json", "exchange.schema.json", "suite.schema.json"]
    assert not (ROOT / "composer" / "resources").exists()  # one copy, at the top


def test_the_icon_comes_as_svg_and_every_png_size_at_its_size():
    assert paths.ICON_SVG.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for size in SIZES:
        png = paths.RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "llm-composer.png"
        assert _png_size(png) == (size, size)


def test_the_entry_opens_exactly_the_mime_types_the_mime_package_defines_plus_json():
    entry = _entry(desktop.ENTRY)
    defined = {t.get("type") for t in ET.parse(desktop.MIME_PACKAGE).getroot()
               .iter(f"{MIME_NS}mime-type")}
    assert defined == {"application/x-llm-composer-conversation",
                       "application/x-llm-composer-exchange"}
    assert set(filter(None, entry["MimeType"].split(";"))) == defined | {"application/json"}
    assert entry["Icon"] == desktop.ICON_NAME
    assert entry["Exec"].split()[-1] == "%F"


def test_the_metainfo_names_the_entry_and_the_readme_screenshots_and_lists_releases():
    root = ET.parse(desktop.METAINFO).getroot()
    assert root.findtext("id") == desktop.APP_ID
    assert root.findtext("launchable") == desktop.ENTRY.name
    shots = [Path(i.text).name for i in root.iter("image")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert shots and all(f"docs/{name}" in readme and (ROOT / "docs" / name).is_file()
                         for name in shots)
    releases = root.find("releases")
    assert releases is not None and releases[0].get("version")
    from composer import __version__

    assert __version__ in [r.get("version") for r in releases]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed (Debian: desktop-file-utils)")
def test_desktop_file_validate_accepts_the_entry():
    out = subprocess.run(["desktop-file-validate", str(desktop.ENTRY)], capture_output=True,
                         text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli is not installed (Debian: appstream)")
def test_appstreamcli_accepts_the_metainfo():
    out = subprocess.run(["appstreamcli", "validate", "--no-net", str(desktop.METAINFO)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_install_desktop_puts_entry_icons_and_mime_type_in_xdg_data_home(tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["install-desktop"]) == 0
    entry = tmp_path / "applications" / desktop.ENTRY.name
    assert _entry(entry)["MimeType"] == _entry(desktop.ENTRY)["MimeType"]
    exec_words = _entry(entry)["Exec"].split()
    assert Path(exec_words[0]).is_absolute() and exec_words[-2:] == ["open", "%F"]
    assert (tmp_path / "mime" / "packages" / "llm-composer.xml").is_file()
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "llm-composer.svg").is_file()
    for size in SIZES:
        assert (tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" /
                "llm-composer.png").is_file()
    if shutil.which("update-mime-database"):  # the database now knows our types
        types = (tmp_path / "mime" / "types").read_text(encoding="utf-8").split()
        assert "application/x-llm-composer-conversation" in types
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(desktop.placements(tmp_path))

    assert main(["install-desktop", "--uninstall"]) == 0
    left = [p for p in tmp_path.rglob("*") if p.is_file() and "llm-composer" in p.name
            or p.name == desktop.ENTRY.name]
    assert left == []
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_install_desktop_says_one_line_when_the_folder_cannot_be_written(tmp_path, monkeypatch,
                                                                        capsys):
    blocker = tmp_path / "data"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert main(["install-desktop"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llm-composer: error: ") and "data" in err[0]


def test_an_exec_path_with_spaces_is_quoted_so_the_entry_stays_valid(tmp_path, monkeypatch):
    fake = tmp_path / "my venv" / "bin"
    fake.mkdir(parents=True)
    (fake / "llm-composer").write_text("#!/bin/sh\n")
    monkeypatch.setattr(desktop.sys, "executable", str(fake / "python"))
    assert desktop.exec_line() == f'"{fake}/llm-composer" open %F'
    if shutil.which("desktop-file-validate"):
        entry = tmp_path / desktop.ENTRY.name
        entry.write_text(desktop.entry_text(), encoding="utf-8")
        out = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout


def test_a_bare_file_argument_opens_it_as_a_file_manager_calls_us():
    assert with_verb(["a.json", "b.json"]) == ["open", "a.json", "b.json"]
    assert with_verb(["send", "a.json"]) == ["send", "a.json"]
    assert with_verb(["--version"]) == ["--version"]
    assert with_verb([]) == []


def _magic_matches(match: ET.Element, head: bytes) -> bool:
    """One shared-mime-info <match type="string" offset="A:B"> (and its nested matches)."""
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    start, _, end = match.get("offset").partition(":")
    value = match.get("value").encode()
    window = head[int(start):int(end or start) + len(value)]
    if value not in window:
        return False
    inner = match.findall(f"{ns}match")
    return not inner or any(_magic_matches(m, head) for m in inner)


def test_saved_files_are_recognised_by_the_mime_magic(tmp_path):
    """The magic reads a file's first bytes: a file manager knows our files only when the
    "composer" header, kind first, is written at the start (it used to be written last)."""
    from composer.models.conversation import Conversation
    from composer.models.exchange import Exchange
    from composer.models.files import save
    from composer.models.parts import Message

    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    tree = ET.parse(paths.RESOURCES / "desktop" / "llm-composer.xml")
    rules = {t.get("type"): t.find(f"{ns}magic").findall(f"{ns}match")
             for t in tree.getroot().findall(f"{ns}mime-type")}
    conversation = Conversation(messages=[Message.text("user", "hi")])
    exchange = Exchange.model_validate(
        {"model": "m", "prompt": {"messages": [{"role": "user", "parts": []}]},
         "messages": [], "composer": {"kind": "exchange", "format_version": 1}})
    for doc, kind in ((conversation, "conversation"), (exchange, "exchange")):
        path = tmp_path / f"{kind}.json"
        save(doc, path)
        head = path.read_bytes()[:256]
        found = [t for t, matches in rules.items() if any(_magic_matches(m, head)
                                                           for m in matches)]
        assert found == [f"application/x-llm-composer-{kind}"], head
