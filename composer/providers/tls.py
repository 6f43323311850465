"""The one TLS context every HTTP client shares. It imports nothing of Composer's, so the
window's start can read the certificates on a worker while the GUI thread imports what it
likes (two threads importing each other's modules could deadlock on the import locks)."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificates, read once: httpx reads them anew for each client (about 50 ms of
    the GUI thread at every send)."""
    return httpx.create_ssl_context()
