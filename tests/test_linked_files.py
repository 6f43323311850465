"""Attachments linked by path in a file: read only inside the file's folder or when allowed,
only regular files, only up to the size limit (composer/models/linked.py, the CLI's
--allow-paths). Sends go to a real loopback server, which must never see a refused file."""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys

import pytest

from composer import paths
from composer.main import main
from composer.models import linked
from composer.models.attachment import Attachment, NotLoaded
from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.parts import AttachmentPart, Message, TextPart, ToolResultPart
from composer.models.settings import RequestSettings
from composer.preferences import Preferences
from tests.conftest import ROOT

SECRET = b"SECRET-CANARY-7f3a9c-not-for-upload\n"
PROTOCOLS = {"openai-chat": "OPENAI_API_KEY", "openai": "OPENAI_API_KEY",
             "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}


def conversation_file(folder, path: str, provider: str = "anthropic", name="conv.json"):
    """A shared conversation whose attachment names ``path`` (no embedded content)."""
    conv = Conversation(
        messages=[Message(role="user", parts=[
            TextPart(text="read this"),
            AttachmentPart(attachment=Attachment(type="text/plain", path=path))])],
        settings=RequestSettings(provider=provider, model="m", options={"max_tokens": 64}))
    target = folder / name
    save(conv, target)
    return target


def leaked(received) -> bool:
    """Whether the secret reached the server, raw or base64."""
    body = b"".join(r.body for r in received)
    return SECRET.strip() in body or base64.b64encode(SECRET)[:24] in body


def outside_secret(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    secret = home / "id_rsa"
    secret.write_bytes(SECRET)
    shared = tmp_path / "downloads"
    shared.mkdir()
    return secret, shared


# -- the rule and the reader ------------------------------------------------------------------


def test_inside_means_inside_after_dotdot_and_symlinks(tmp_path):
    base = tmp_path / "shared"
    base.mkdir()
    (base / "notes.txt").write_bytes(b"ok")
    (tmp_path / "secret").write_bytes(SECRET)
    (base / "sneaky").symlink_to(tmp_path / "secret")
    assert linked.is_inside(linked.resolve("notes.txt", base), base)
    assert linked.is_inside(linked.resolve(str(base / "notes.txt"), base), base)
    assert not linked.is_inside(linked.resolve("../secret", base), base)
    assert not linked.is_inside(linked.resolve("sneaky", base), base)
    assert not linked.is_inside(linked.resolve("~/.ssh/id_rsa", base), base)
    assert not linked.is_inside(linked.resolve("notes.txt", None), None)
    # A folder named like the base but beside it is not inside it.
    (tmp_path / "shared-evil").mkdir()
    assert not linked.is_inside(linked.resolve("../shared-evil/x", base), base)


def test_a_linked_attachment_never_reads_the_disk_by_itself(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    att = Attachment(type="text/plain", path=str(secret))
    assert att.linked and att.size is None
    with pytest.raises(NotLoaded, match="linked, not loaded"):
        att.data()
    with pytest.raises(NotLoaded):
        att.base64()
    att.set_loaded(SECRET)
    assert not att.linked and att.data() == SECRET and att.size == len(SECRET)
    # What was read is never saved: the file keeps its path, as it came.
    assert att.to_dict() == {"type": "text/plain", "path": str(secret)}


def test_the_reader_refuses_devices_fifos_folders_and_big_files_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    for path, why in (("/dev/zero", "a device"), (fifo, "a FIFO"), (tmp_path, "a folder"),
                      (big, "over the 1,024 bytes attachment size limit"),
                      (tmp_path / "gone", "No such file")):
        with pytest.raises(linked.LinkedFileError, match=why) as caught:
            linked.read_regular(path, 1024)
        assert str(path) in str(caught.value)
    assert linked.read_regular(big, 4096) == b"x" * 2048


def test_links_cover_tool_results_and_name_their_rows(tmp_path):
    conv = Conversation(messages=[
        Message.text("user", "hi"),
        Message(role="tool", parts=[ToolResultPart(name="t", output="o", attachments=[
            Attachment(type="text/plain", path="out.txt")])])])
    (tmp_path / "out.txt").write_bytes(b"tool output")
    found = linked.links(conv, tmp_path)
    assert [(f.row, f.inside) for f in found] == [(1, True)]
    assert linked.load(found, 100) == []
    assert conv.messages[1].parts[0].attachments[0].data() == b"tool output"
    assert linked.not_loaded(conv) == []


# -- the command line: send -----------------------------------------------------------------


@pytest.mark.parametrize("provider", list(PROTOCOLS))
def test_send_refuses_an_outside_path_and_the_server_never_sees_it(provider, loopback,
                                                                   tmp_path, capsys,
                                                                   monkeypatch):
    secret, shared = outside_secret(tmp_path)
    monkeypatch.setenv(PROTOCOLS[provider], "sk-test")
    conv = conversation_file(shared, str(secret), provider)

    code = main(["send", str(conv), "--base-url", loopback.url])

    err = capsys.readouterr().err
    assert code == 1 and loopback.received == []
    assert err.count("\n") == 1 and str(secret) in err and "--allow-paths" in err
    assert "row 1" in err and "Traceback" not in err


@pytest.mark.parametrize("provider", list(PROTOCOLS))
def test_send_reads_an_outside_path_only_with_allow_paths(provider, loopback, tmp_path,
                                                          capsys, monkeypatch):
    secret, shared = outside_secret(tmp_path)
    monkeypatch.setenv(PROTOCOLS[provider], "sk-test")
    conv = conversation_file(shared, str(secret), provider)

    main(["send", str(conv), "--base-url", loopback.url, "--retries", "0", "--allow-paths"])

    capsys.readouterr()
    assert len(loopback.received) == 1 and leaked(loopback.received)


@pytest.mark.parametrize("provider", list(PROTOCOLS))
def test_send_reads_a_relative_path_inside_the_files_folder(provider, loopback, tmp_path,
                                                            capsys, monkeypatch):
    shared = tmp_path / "project"
    (shared / "docs").mkdir(parents=True)
    (shared / "docs" / "spec.txt").write_bytes(SECRET)
    monkeypatch.setenv(PROTOCOLS[provider], "sk-test")
    monkeypatch.chdir(tmp_path)  # relative to the file's folder, not the working folder
    conv = conversation_file(shared, "docs/spec.txt", provider)

    main(["send", str(conv), "--base-url", loopback.url, "--retries", "0"])

    capsys.readouterr()
    assert len(loopback.received) == 1 and leaked(loopback.received)


def test_send_refuses_dotdot_and_symlink_escapes(loopback, tmp_path, capsys, monkeypatch):
    secret, shared = outside_secret(tmp_path)
    (shared / "innocent.txt").symlink_to(secret)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    for path in ("../home/id_rsa", "innocent.txt"):
        conv = conversation_file(shared, path)
        assert main(["send", str(conv), "--base-url", loopback.url]) == 1
        assert str(secret) in capsys.readouterr().err
    assert loopback.received == []


def test_send_refuses_a_file_over_the_preferences_size_limit(loopback, tmp_path, capsys,
                                                             monkeypatch):
    Preferences(attachment_size_limit_mb=0.001).save(paths.user_dir())  # where `send` reads
    (tmp_path / "big.txt").write_bytes(b"x" * 5000)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    conv = conversation_file(tmp_path, "big.txt")
    assert main(["send", str(conv), "--base-url", loopback.url]) == 1
    err = capsys.readouterr().err
    assert "big.txt" in err and "size limit" in err and err.count("\n") == 1
    assert loopback.received == []


def test_allow_paths_is_documented_in_help(capsys):
    for verb in ("send", "convert"):
        with pytest.raises(SystemExit):
            main([verb, "--help"])
        out = capsys.readouterr().out
        assert "--allow-paths" in out and "outside its own folder" in " ".join(out.split())


# -- devices and FIFOs, in a child process with a timeout and a memory cap --------------------


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


# Each command line in turn, in-process in one child (tests/cli_run.py): its status and stderr.
CLI_IN_A_CHILD = """
import json, sys
from tests.cli_run import run_cli
results = [run_cli(*args) for args in json.loads(sys.argv[1])]
print(json.dumps([[r.returncode, r.stderr] for r in results]))
"""


def run_cli_capped(*commands: list[str], timeout: float = 30) -> list[tuple[int, str]]:
    """Each command line of ``llm-composer`` in a child process that a hang or an endless read
    cannot take down with the suite."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANTHROPIC_API_KEY": "sk-test"}
    child = subprocess.run([sys.executable, "-c", CLI_IN_A_CHILD, json.dumps(commands)],
                           capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT,
                           preexec_fn=_capped)
    assert child.returncode == 0, child.stderr
    return [tuple(result) for result in json.loads(child.stdout)]


def test_send_and_convert_refuse_devices_and_fifos_at_once(loopback, tmp_path):
    """A FIFO inside the file's folder (allowed by place) and /dev/zero (allowed by the flag):
    before, the FIFO hung send and convert for ever and /dev/zero ate memory without end. All
    four command lines run in one child."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "zero").mkdir()
    cases = [(str(fifo), conversation_file(tmp_path, str(fifo)), []),
             ("/dev/zero", conversation_file(tmp_path / "zero", "/dev/zero"), ["--allow-paths"])]
    commands, specials = [], []
    for special, conv, flag in cases:
        commands += [["send", str(conv), "--base-url", loopback.url, *flag],
                     ["convert", str(conv), "--to", "anthropic", *flag]]
        specials += [special, special]
    results = run_cli_capped(*commands)
    assert len(results) == 4
    for special, (status, stderr) in zip(specials, results, strict=True):
        assert status == 1, (special, stderr)
        assert "not a regular file" in stderr and special in stderr, (special, stderr)
        assert stderr.count("\n") == 1, (special, stderr)
    assert loopback.received == []


# -- the command line: convert ----------------------------------------------------------------


@pytest.mark.parametrize("target", ["openai-chat", "anthropic", "gemini", "openai-responses"])
def test_convert_never_embeds_an_outside_path_without_the_flag(target, tmp_path, capsys):
    secret, shared = outside_secret(tmp_path)
    conv = conversation_file(shared, str(secret))
    out = tmp_path / "out.json"

    code = main(["convert", str(conv), "--to", target, "--out", str(out)])

    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert err.count("\n") == 1 and str(secret) in err and "--allow-paths" in err
    assert main(["convert", str(conv), "--to", target, "--out", str(out),
                 "--allow-paths"]) == 0
    text = out.read_text()
    assert SECRET.decode().strip() in text or base64.b64encode(SECRET).decode()[:24] in text


def test_convert_from_stdin_counts_every_path_as_outside(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.txt").write_bytes(SECRET)
    monkeypatch.chdir(tmp_path)
    conv = conversation_file(tmp_path, "a.txt")
    monkeypatch.setattr(sys, "stdin", open(conv, encoding="utf-8"))
    assert main(["convert", "-", "--to", "anthropic"]) == 1
    assert "--allow-paths" in capsys.readouterr().err


def test_convert_to_our_own_format_keeps_the_path_not_the_bytes(tmp_path, capsys):
    (tmp_path / "a.txt").write_bytes(SECRET)
    conv = conversation_file(tmp_path, "a.txt")
    out = tmp_path / "copy.json"
    assert main(["convert", str(conv), "--to", "composer", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["messages"][0]["parts"][1]["attachment"] == {
        "type": "text/plain", "path": "a.txt"}
    assert load(out).messages[0].attachments[0].linked
