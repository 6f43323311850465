"""The HTTP under every call: one TLS context for every client (tls.py), and requests sent with the
redirect rule that keeps a key on the origin it was meant for. No Qt, no protocol."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from composer.models.settings import SECRET_HEADERS, split_url_secrets
from composer.providers.base import HttpRequest
from composer.providers.call_config import CallConfig
from composer.providers.threads import in_thread
from composer.providers.tls import tls_context
from composer.providers.trust import origin as trust_origin


def new_client(**options: Any) -> httpx.AsyncClient:
    """An HTTP client (for the window, a run, one call or one model list) that shares the one
    TLS context; ``options`` go to httpx.AsyncClient."""
    return httpx.AsyncClient(verify=tls_context(), **options)


MAX_REDIRECTS = 5


class KeyRedirectRefused(httpx.HTTPError):
    """A server redirected a request carrying a key to another origin; it was not followed."""

    def __init__(self, status: int, source: str, target: str):
        self.status = status
        super().__init__(f"{source} answered {status}, redirecting to {target}: another server, "
                         "so the request was not repeated there and your key was not sent")


def carries_key(request: httpx.Request) -> bool:
    """A key in a header or in the query string."""
    return (any(k.lower() in SECRET_HEADERS for k in request.headers)
            or bool(split_url_secrets(str(request.url))[1]))


@asynccontextmanager
async def open_response(client: httpx.AsyncClient, request: HttpRequest,
                        timeout: httpx.Timeout) -> AsyncIterator[httpx.Response]:
    """Send ``request`` and stream its response, following redirects here rather than in httpx:
    within the same origin as they come, to another origin only without a key (httpx drops
    ``Authorization`` there but keeps ``x-api-key``, ``x-goog-api-key`` and the query string).
    Raises KeyRedirectRefused, or httpx.TooManyRedirects after MAX_REDIRECTS."""
    headers, content = request.headers, None
    if request.body is not None:
        content = await in_thread(json_body, request.body)
        if not any(k.lower() == "content-type" for k in headers):
            headers = {**headers, "Content-Type": "application/json"}
    sent = client.build_request(request.method, request.url, headers=headers, content=content,
                                timeout=timeout)
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(sent, stream=True, follow_redirects=False)
        following = response.next_request
        if following is None:
            break
        await response.aclose()
        if trust_origin(str(following.url)) != trust_origin(str(sent.url)) and carries_key(sent):
            raise KeyRedirectRefused(response.status_code, trust_origin(str(sent.url)) or "",
                                     trust_origin(str(following.url)) or str(following.url))
        sent = following
    else:
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=sent)
    try:
        yield response
    finally:
        await response.aclose()


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def json_body(body: Any) -> bytes:
    """``body`` as httpx's ``json=`` sends it (compact UTF-8, no NaN), its top-level objects and
    their lists encoded an element at a time: a long conversation's request is megabytes, and
    one encoder call holds the GIL until it is done (~250 ms at 10,000 messages), against the
    window even on a worker thread; a message's takes well under a millisecond. The pieces are
    joined as bytes: joined as text, one emoji made the whole body four bytes a character, and
    that join and its encoding held the GIL 70-340 ms at 10,000 messages; bytes join in ~3 ms."""
    return b"".join(piece.encode("utf-8") for piece in _pieces(body, 0))


def _pieces(value: Any, depth: int) -> Iterator[str]:
    if depth < 2 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield ("," if n else "") + _ENCODE(key) + ":"
            yield from _pieces(item, depth + 1)
        yield "}"
    elif depth < 2 and isinstance(value, list):
        yield "["
        for n, item in enumerate(value):
            yield ("," + _ENCODE(item)) if n else _ENCODE(item)
        yield "]"
    else:
        yield _ENCODE(value)


async def fetch(client: httpx.AsyncClient, request: HttpRequest,
                timeout: httpx.Timeout) -> httpx.Response:
    """``request``'s whole response (redirects as in ``open_response``)."""
    async with open_response(client, request, timeout) as response:
        await response.aread()
        return response


def timeout_for(config: CallConfig, read: float | None = None) -> httpx.Timeout:
    return httpx.Timeout(connect=config.connect_timeout,
                         read=config.read_timeout if read is None else read,
                         write=config.write_timeout, pool=config.connect_timeout)
