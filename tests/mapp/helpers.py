"""Shared constants and request helpers of the Mapp tests."""

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
