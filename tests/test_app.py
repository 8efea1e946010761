"""The app's own routing: fixed API paths go straight to their endpoints, the rest the usual way."""

from polytrack.avidtrak import wire as avidtrak_wire


def test_an_endpoint_that_raises_answers_500_without_a_traceback(http, monkeypatch):
    def broken(self, request):
        raise RuntimeError("secret detail")
    monkeypatch.setattr(avidtrak_wire.Endpoint, "handle", broken)
    response = http.get("/webservice/api.php", params={"format": "json"})
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_fixed_paths_keep_their_methods_and_the_rest_routes_as_before(http):
    assert http.put("/webservice/api.php").status_code == 405
    assert http.get("/trackerpro_admin.ASHX", params={"op": "x"}).status_code == 200
    assert http.get("/no/such/path").status_code == 404
    assert http.get("/api/advertiser").json()["error"]["code"] == 12  # Trackier: no API key
    assert http.get("/_polytrack/health").status_code == 200


def test_a_packages_background_tasks_run_while_the_app_serves_and_outlive_a_failure(services, monkeypatch):
    import asyncio
    import threading

    from starlette.testclient import TestClient

    from polytrack import app as app_module
    from polytrack.apis import ApiPackage, all_packages

    events: list[str] = []
    restarted = threading.Event()

    async def steady():
        events.append("steady started")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("steady cancelled")
            raise

    async def flaky():
        events.append("flaky started")
        if events.count("flaky started") == 1:
            raise RuntimeError("a bad moment")
        restarted.set()
        await asyncio.Event().wait()

    extra = ApiPackage(name="extra", import_tables=lambda: None, routes=lambda _services: [],
                       seed_demo=lambda *_: None, demo_credentials=lambda *_: {},
                       background_tasks=lambda _services: [steady, flaky])
    monkeypatch.setattr(app_module, "all_packages", lambda: [*all_packages(), extra])
    monkeypatch.setattr(app_module, "BACKGROUND_RESTART_SECONDS", 0.0)
    with TestClient(app_module.create_app(services=services)) as client:
        assert client.get("/_polytrack/health").status_code == 200
        assert restarted.wait(5.0)
    assert events.count("flaky started") == 2
    assert events[-1] == "steady cancelled"
