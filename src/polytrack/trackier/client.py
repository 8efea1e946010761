"""A small Python client for the Trackier v1 API (polytrack's or the vendor's).

    client = TrackierClient("http://127.0.0.1:8080/api", "demo-trackier-network-key-0000000000000000")
    advertisers = client.get("/advertiser")["data"]["advertisers"]

HTTP errors raise TrackierError with the HTTP status and the application code of the body.
Business failures the API reports with HTTP 200 and `"success": false` are returned as they are.
"""

from __future__ import annotations

import httpx


class TrackierError(Exception):
    def __init__(self, status: int, code: int | None, message: str, body=None):
        super().__init__(f"HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class TrackierClient:
    def __init__(self, base_url: str, api_key: str, *, http: httpx.Client | None = None, timeout: float = 30.0):
        """`http`: an httpx.Client to send with (e.g. Starlette's TestClient); one is made if absent."""
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http or httpx.Client(timeout=timeout)

    def request(self, method: str, path: str, *, params: dict | None = None, json=None) -> dict:
        response = self.http.request(
            method, f"{self.base_url}/{path.lstrip('/')}", params=params, json=json,
            headers={"X-Api-Key": self.api_key},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            error = (body or {}).get("error") if isinstance(body, dict) else None
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else response.text[:200]
            raise TrackierError(response.status_code, code, message or "", body)
        return body

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, json=None) -> dict:
        return self.request("POST", path, json=json if json is not None else {})

    def put(self, path: str, json=None) -> dict:
        return self.request("PUT", path, json=json if json is not None else {})

    def patch(self, path: str, json=None) -> dict:
        return self.request("PATCH", path, json=json if json is not None else {})

    def delete(self, path: str) -> dict:
        return self.request("DELETE", path)

    def close(self) -> None:
        self.http.close()
