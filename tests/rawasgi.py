"""Requests an HTTP client cannot send: a query string's bytes exactly as given (clients escape
them), straight to an ASGI app."""

from __future__ import annotations

import asyncio


def raw_get(app, path: str, query: bytes) -> tuple[int, bytes]:
    """A GET of `path` with the query string `query`, bytes as they are; (status, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])
