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
