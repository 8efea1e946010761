"""A small Mapp JSON/RPC 1.1 client (httpx).

    client = MappClient("http://127.0.0.1:8080/cgi-bin/wt/JSONRPC.cgi")
    client.login("111111111111111", "demo", "demo-pass", language="en")
    print(client.call("getAnalysisObjectsAndMetricsList"))
    client.logout()

Pass `http=` to reuse an httpx.Client (the tests pass Starlette's TestClient and a path).
"""

from __future__ import annotations

import httpx


class MappError(Exception):
    """An error envelope. `code` is 501 for every documented error; `body` is the whole answer."""

    def __init__(self, message: str, code: int | None, body: dict):
        super().__init__(message)
        self.message = message
        self.code = code
        self.body = body


class MappClient:
    def __init__(self, url: str, *, http: httpx.Client | None = None, timeout: float = 60.0):
        self.url = url
        self.http = http or httpx.Client(timeout=timeout)
        self.token: str | None = None

    def call(self, method: str, **params):
        """The method's `result`; raises MappError on an error envelope. The current token is
        added unless `token` is given."""
        if self.token and "token" not in params:
            params["token"] = self.token
        return self.request(method, params)

    def request(self, method: str, params: dict):
        """One call with exactly these params (no token added)."""
        body = self.post({"params": params, "version": "1.1", "method": method})
        if "error" in body or "result" not in body:
            error = body.get("error") or {}
            # The rate-limit answer carries `code` next to `error` instead of inside it.
            raise MappError(error.get("message", "no result"), error.get("code", body.get("code")), body)
        return body["result"]

    def post(self, request: dict) -> dict:
        response = self.http.post(self.url, json=request)
        response.raise_for_status()
        return response.json()

    def login(self, customer_id: str, login: str, password: str, *, language: str | None = None) -> str:
        """Log in and keep the token for later calls."""
        params = {"customerId": customer_id, "login": login, "pass": password}
        if language:
            params["language"] = language
        self.token = self.request("login", params)
        return self.token

    # --- one method each, in the order of the vendor's documentation ---------------------------

    def connection_test(self) -> str:
        return self.request("getConnectionTest", {})

    def account_list(self, login: str, password: str) -> list[dict]:
        return self.request("getAccountList", {"login": login, "pass": password})

    def objects_and_metrics(self) -> dict:
        """getAnalysisObjectsAndMetricsList: {analysisObjects, metrics, customMetrics}."""
        return self.call("getAnalysisObjectsAndMetricsList")

    def custom_reports(self) -> list[dict]:
        """getCustomReportsList: [{reportGroup, title}]."""
        return self.call("getCustomReportsList")

    def dynamic_time_intervals(self) -> list[dict]:
        """getDynamicTimeIntervalList: [{name, code}]."""
        return self.call("getDynamicTimeIntervalList")

    def analysis(self, **config) -> dict:
        """getAnalysisData with this `analysisConfig`."""
        return self.call("getAnalysisData", analysisConfig=config)

    def report(self, report_name: str, **options) -> dict:
        """getReportData; `options`: time_start, time_stop, footerIdentifier, language."""
        return self.call("getReportData", report_name=report_name, **options)

    def export_data(self, export_type: str, start_row: int = 1, end_row: int = 10_000, **options) -> list[list[str]]:
        """exportData: the headline row, then rows start_row..end_row."""
        return self.call("exportData", type=export_type, startRow=start_row, endRow=end_row, **options)

    def import_data(self, upload_type: str, rows: list[list]) -> list:
        """importData: `rows[0]` the headlines."""
        return self.call("importData", uploadType=upload_type, uploadData=rows)

    def delete_tv_data(self, customer_id: str, login: str, password: str, time_start: str, time_stop: str) -> list[str]:
        return self.request("deleteTvData", {"customerId": customer_id, "login": login, "pass": password,
                                             "time_start": time_start, "time_stop": time_stop})

    def logout(self) -> bool:
        """True when the server deleted the token ("1")."""
        if not self.token:
            return False
        try:
            return self.call("logout") == "1"
        finally:
            self.token = None
