"""A middleware added to the app runs on the API paths too, not only on Starlette's routes."""

import pytest
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.testclient import TestClient

from polytrack.app import create_app


class Stamp(BaseHTTPMiddleware):
    seen: list[str] = []

    async def dispatch(self, request, call_next):
        Stamp.seen.append(request.url.path)
        response = await call_next(request)
        response.headers["x-stamped"] = "yes"
        return response


@pytest.fixture
def stamped(services):
    app = create_app(services=services)
    app.add_middleware(Stamp)
    Stamp.seen = []
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def test_a_middleware_runs_on_payt_mapp_and_trackier_calls(stamped):
    payt = stamped.get("/api2.ashx", params={"op": "Group", "subop": "GetByTypeID", "ticket": "nope"})
    mapp = stamped.post("/cgi-bin/wt/JSONRPC.cgi", json={"version": "1.1", "method": "getConnectionTest", "params": {}})
    trackier = stamped.get("/api/advertiser")
    for response in (payt, mapp, trackier):
        assert response.headers.get("x-stamped") == "yes", response.request.url
    assert payt.json()["status"] == "error"  # still PAYT's own answer
    assert mapp.json()["result"] == "Connection successful"
    assert trackier.json()["error"]["code"] == 12
    assert Stamp.seen == ["/api2.ashx", "/cgi-bin/wt/JSONRPC.cgi", "/api/advertiser"]


def test_the_fixed_path_dispatch_still_answers_every_api_without_middleware(http):
    assert http.get("/api2.ashx", params={"op": "Group", "subop": "GetByTypeID"}).json()["status"] == "error"
    assert "x-stamped" not in http.get("/api/advertiser").headers
