"""Read the go-vcr cassettes in ../shared/recordings (never copied into the repo)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import RECORDINGS


@dataclass
class Interaction:
    method: str
    url: str
    request_headers: dict[str, list[str]]
    request_body: str
    status: int
    response_headers: dict[str, list[str]]
    response_body: str

    @property
    def request_json(self) -> Any:
        return json.loads(self.request_body) if self.request_body else None

    @property
    def streaming(self) -> bool:
        ctype = " ".join(self.response_headers.get("Content-Type", []))
        return "event-stream" in ctype or '"stream":true' in self.request_body.replace(" ", "")


@dataclass
class Cassette:
    path: Path
    interactions: list[Interaction]

    @property
    def name(self) -> str:
        return str(self.path.relative_to(RECORDINGS))


# libyaml's loader when present: the pure-Python one dominates the recording tests' time.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(path: Path) -> Cassette:
    """Cached: several test modules read the same files; treat the result as read-only."""
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    items = []
    for it in raw.get("interactions") or []:
        req, resp = it["request"], it["response"]
        items.append(Interaction(
            method=req.get("method", "POST"),
            url=req.get("url", ""),
            request_headers=req.get("headers") or {},
            request_body=req.get("body") or "",
            status=int(resp.get("code") or 200),
            response_headers=resp.get("headers") or {},
            response_body=resp.get("body") or "",
        ))
    return Cassette(path, items)


def all_cassettes() -> list[Path]:
    if not RECORDINGS.is_dir():
        return []
    return sorted(RECORDINGS.rglob("*.yaml"))


def protocol_of(interaction: Interaction) -> str | None:
    """Which of our wire protocols a recorded request used, from its URL."""
    url = interaction.url
    if "/chat/completions" in url:
        return "openai-chat"
    if url.rstrip("/").endswith("/responses"):
        return "openai-responses"
    if "/v1/messages" in url or ":streamRawPredict" in url or ":rawPredict" in url:
        return "anthropic"
    if ":generateContent" in url or ":streamGenerateContent" in url:
        return "gemini"
    return None
