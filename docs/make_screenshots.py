"""Regenerate the README's pictures with the app's own `screenshot` verb.

    python docs/make_screenshots.py

docs/conversation.png: a six-turn conversation with a system prompt, an image and a PDF.
docs/reply.png: the bundled example exchange (reasoning, text with code, a tool call, an image).
docs/branches.png: a conversation with three variants of a reply and a branch, the branches
panel beside it.
docs/compare.png, docs/counts.png: windows that must run to show them (docs/live_screenshots.py).
docs/test-run.png: a test run's results grid against a baseline (docs/make_testrun_screenshot.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EXAMPLES = DOCS.parent / "resources" / "examples"


def make_files(folder: Path) -> tuple[Path, Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPageSize, QPainter, QPdfWriter

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (painting needs it)
    chart = folder / "sales-chart.png"
    image = QImage(320, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    for i, value in enumerate((60, 110, 90, 160)):
        painter.fillRect(QRect(30 + i * 70, 180 - value, 50, value), QColor("#3366cc"))
    painter.end()
    image.save(str(chart), "PNG")
    report = folder / "q3-report.pdf"
    writer = QPdfWriter(str(report))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A5))
    painter = QPainter(writer)
    painter.drawText(QRect(200, 200, 4000, 600), Qt.AlignmentFlag.AlignLeft,
                     "Q3 report: revenue up 12%, churn flat.")
    painter.end()
    return chart, report


def make_conversation(folder: Path) -> Path:
    from composer.models import (
        Attachment,
        AttachmentPart,
        Conversation,
        Message,
        RequestSettings,
        TextPart,
        ToolCallPart,
        ToolResultPart,
    )
    from composer.models.files import save

    chart, report = make_files(folder)
    messages = [
        Message.text("system", "You are a financial analyst. Be precise and cite the figures."),
        Message(role="user", parts=[
            TextPart(text="Here is our Q3 report and the sales chart. What changed?"),
            AttachmentPart(attachment=Attachment.from_path(report)),
            AttachmentPart(attachment=Attachment.from_path(chart))]),
        Message.text("assistant", "Revenue rose 12% while churn stayed flat; the chart shows "
                     "the fourth month as the strongest."),
        Message.text("user", "Compare with last year's Q3."),
        Message(role="assistant", parts=[ToolCallPart(
            name="lookup_quarter", arguments={"year": 2025, "quarter": 3},
            tool_call_id="call_q3_2025")]),
        Message(role="tool", parts=[ToolResultPart(
            name="lookup_quarter", tool_call_id="call_q3_2025",
            output='{"revenue_growth": 0.07, "churn": 0.031}')]),
        Message.text("assistant", "Last year's Q3 grew 7%, so growth is up five points."),
    ]
    path = folder / "analysis.json"
    save(Conversation(messages=messages,
                      settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-5")),
         path)
    return path


def make_branches(folder: Path) -> Path:
    """Three takes on a reply (the third shown) and, after it, a question asked two ways."""
    from composer.models import Conversation, Message, RequestSettings
    from composer.models.files import save
    from composer.models.tree import Tree

    ask = [Message.text("system", "You explain physics to curious people, briefly."),
           Message.text("user", "Why is the sky blue?")]
    takes = ["Air scatters short (blue) wavelengths of sunlight far more than long ones.",
             "Rayleigh scattering: molecules scatter light as 1/wavelength^4.",
             "Sunlight bumps into air molecules, and blue light bounces around the most."]
    tree = Tree.linear([*ask, Message.text("assistant", takes[0])])
    for take in takes[1:]:
        tree, _ = tree.add_variant(tree.parent_at(2), [Message.text("assistant", take)])
    tree = tree.rename(tree.path[-1], "for a child")
    follow = [Message.text("user", "Then why are sunsets red?"),
              Message.text("assistant", "At sunset light crosses more air: the blue is "
                                        "scattered away before it reaches you.")]
    tree, _ = tree.commit([*tree.messages(), *follow])
    tree, _ = tree.commit([*tree.messages()[:3], Message.text("user", "Is it blue on Mars?")])
    tree = tree.switch(next(b.leaf for b in tree.branches() if b.name == "for a child"))
    conversation = Conversation(messages=tree.messages(), settings=RequestSettings(
        provider="anthropic", model="claude-sonnet-4-5"))
    conversation.set_tree(tree)
    path = folder / "sky.json"
    save(conversation, path)
    return path


def shoot(out: Path, file: Path, *extra: str) -> None:
    subprocess.run([sys.executable, "-m", "composer", "screenshot", str(out), str(file),
                    "--size", "1280x800", *extra], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shoot(DOCS / "conversation.png", make_conversation(folder), "--row", "2")
        reply = folder / "reply.json"
        subprocess.run([sys.executable, "-m", "composer", "send",
                        str(EXAMPLES / "conversation.json"), "--out", str(reply)],
                       check=True, capture_output=True)
        shoot(DOCS / "reply.png", reply)
        shoot(DOCS / "branches.png", make_branches(folder), "--row", "3", "--size", "1440x800")
    subprocess.run([sys.executable, str(DOCS / "live_screenshots.py")], check=True)
    subprocess.run([sys.executable, str(DOCS / "make_testrun_screenshot.py")], check=True)


if __name__ == "__main__":
    main()
