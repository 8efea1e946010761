"""Shared constants and request helpers of the Mapp tests."""

import asyncio
import json

PATH = "/cgi-bin/wt/JSONRPC.cgi"
SHOP, BLOG, OTHER = "100000000000001", "100000000000002", "900000000000009"
TOKEN_PATTERN = r"^[0-9a-f]{32}_[0-9a-f]{32}$"
# The frozen test clock would trip the documented 5-per-10-s limit in most tests.
RELAXED_LIMITS = {"mapp.requests_per_period": 1_000_000, "mapp.requests_per_period_sec": 1_000_000}


def rpc(http, method, params=None, **envelope):
    """POST one JSON-RPC request the way the Python clients do; the full answer body."""
    body = {"params": {} if params is None else params, "version": "1.1", "method": method, **envelope}
    response = http.post(PATH, json=body)
    assert response.status_code == 200
    return response.json()


def error_of(message):
    return {"version": "1.1", "error": {"name": "JSONRPCError", "message": message, "code": 501}}


def login_token(http, customer_id=SHOP, login="alice", password="alice-pass", **extra):
    body = rpc(http, "login", {"customerId": customer_id, "login": login, "pass": password, **extra})
    assert "result" in body, body
    return body["result"]


def post_in_messages(app, pieces: list[bytes], headers: tuple[tuple[bytes, bytes], ...] = ()) -> dict:
    """POST a body to the ASGI app as one `http.request` message per piece (what a server does
    with a chunked upload; the test client sends one message), without a Content-Length unless
    `headers` give one."""
    messages = [{"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1} for i, piece in enumerate(pieces)]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


# --- the tracking pixel -------------------------------------------------------------------------

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
# 2024-06-12 12:00 UTC, the frozen test clock; hits below carry client times before it.
NOW_MS = 1718193600000


def p(page: str, client_ms: int = 0, referrer: str = "0") -> str:
    """The `p` parameter as the pixel builds it: fields percent-encoded, then joined by commas."""
    from urllib.parse import quote
    return f"600,{quote(page, safe='')},1,1920x1080,24,1,{client_ms},{quote(referrer, safe='')},1200x800,0"


def hit(http, page: str = "home", *, track_id: str = SHOP, at_ms: int = NOW_MS - 3_600_000, eid: str = "v1",
        agent: str = CHROME, **params):
    """One GET /<trackId>/wt hit; the answer must be the GIF whatever was sent."""
    query = {"p": p(page, at_ms, params.pop("referrer", "0")), **({"eid": eid} if eid else {}), **params}
    from urllib.parse import urlencode
    response = http.get(f"/{track_id}/wt?{urlencode(query, safe=',%')}", headers={"user-agent": agent})
    assert_gif(response)
    return response


def assert_gif(response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) == 43
    assert "no-store" in response.headers["cache-control"]


def settle(services) -> int:
    """Sessionise every hit still pending (what the workers' background task does soon after
    the pixel answered); returns how many there were."""
    from polytrack.mapp.collect.sessions import Sessioniser
    sessions = Sessioniser(services)
    try:
        return sessions.settle_all()
    finally:
        sessions.db.close()


def stored(services, sql: str, **params) -> list:
    """Rows of the collected data, read the way an operator would query the database, once
    the hits the pixel answered are sessionised."""
    from sqlalchemy import text
    settle(services)
    with services.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")


def analysis(http, token, **config):
    """getAnalysisData's result (the answer must be one)."""
    body = rpc(http, "getAnalysisData", {"token": token, "analysisConfig": config})
    assert "result" in body, body
    return body["result"]
