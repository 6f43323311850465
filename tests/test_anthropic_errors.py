"""Anthropic's error bodies (JSON, HTML, empty, hostile) and its model list."""

from __future__ import annotations

import json

import pytest

from composer.models.errors import FormatError
from composer.providers.anthropic import PROTOCOL


def test_parse_error_json_body_with_request_id_and_retry_after():
    body = json.dumps({"type": "error", "error": {"type": "rate_limit_error",
                                                  "message": "Slow down"},
                       "request_id": "req_body"}).encode()
    err = PROTOCOL.parse_error(429, body, {"Request-Id": "req_header", "retry-after": "7"})
    assert (err.kind, err.status, err.provider_type) == ("http", 429, "rate_limit_error")
    assert err.request_id == "req_header" and err.retry_after == 7.0
    assert err.message == "HTTP 429 rate_limit_error: Slow down"


def test_parse_error_tolerates_html_and_empty_bodies():
    err = PROTOCOL.parse_error(502, b"<html>\nBad gateway</html>", {"retry-after-ms": "1500"})
    assert err.message == "HTTP 502: <html>" and err.retry_after == 1.5
    assert err.body.startswith("<html>")
    empty = PROTOCOL.parse_error(529, b"", {})
    assert empty.status == 529 and empty.message == "HTTP 529: no details in the response"
    assert PROTOCOL.parse_error(500, b"\xff\xfe", {}).kind == "http"
    assert PROTOCOL.parse_error(500, b"[" * 100_000, {}).message == "HTTP 500: " + "[" * 200


def test_models_request_and_parse():
    req = PROTOCOL.models_request(base_url="https://api.anthropic.com", api_key="k")
    assert req.method == "GET" and req.url.startswith("https://api.anthropic.com/v1/models")
    assert req.headers["x-api-key"] == "k"
    assert PROTOCOL.parse_models({"data": [{"id": "claude-a"}, {"id": "claude-b"}, 3],
                                  "has_more": False}) == ["claude-a", "claude-b"]
    with pytest.raises(FormatError):
        PROTOCOL.parse_models({"error": "nope"})
