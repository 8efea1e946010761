"""A small Python client for the AvidTrak REST API (ours or the original).

    client = AvidTrakClient("http://127.0.0.1:8080/webservice/api.php", pincode="4815162342")
    client.call("get_remaining_balance")            # -> {"balance": "50.00", ...}
    client.call("set_forwarding", sid=["PN..."], forward_number="4105550199")
    client.set_forwarding(type="pro", forward_number="4105550199")   # every method by its name

`call` returns `data` of a code-1 answer and raises AvidTrakError(code, status, data) for any
other code. Lists are sent in PHP array syntax (`sid[]=...`). With format="xml" the XML answer
is parsed back into the same shapes; XML cannot tell an empty string, an empty list and null
apart (all are empty elements), so those read as None, and every scalar reads as a string.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import partial

import httpx

# Every method of the API (the vendor's 26 and the allocate_metro_number alias).
METHODS = (
    "create_account", "update_user_details", "search_number", "purchase_number", "transfer_number",
    "assign_number", "list_numbers", "set_forwarding", "remove_forwarding", "insert_round_robin",
    "list_round_robin", "edit_round_robin", "delete_round_robin", "update_number_setting",
    "add_lite_campaign", "lite_campaign", "all_lite_calls", "call_logs", "client_list",
    "get_remaining_balance", "return_number", "visit_data", "set_smart_replacement",
    "add_metro_site_number", "list_metro_numbers", "remove_metro_site_number", "allocate_metro_number",
)


class AvidTrakError(Exception):
    def __init__(self, code: int, status: str, data):
        super().__init__(f"{code} {status}: {data}")
        self.code = code
        self.status = status
        self.data = data

    @property
    def error(self) -> str | None:
        """The code-0 error id (`missing_parameter`, `no_data` ...), if any."""
        return self.data.get("error") if isinstance(self.data, dict) else None


class AvidTrakClient:
    def __init__(self, url: str, pincode: str, format: str = "json", *, http=None, use_post: bool = False,
                 timeout: float = 30.0):
        self.url = url
        self.pincode = pincode
        self.format = format
        self.use_post = use_post
        # any httpx-compatible client (e.g. Starlette's TestClient) may be passed in
        self.http = http if http is not None else httpx.Client(timeout=timeout)

    def __getattr__(self, name: str):
        """`client.call_logs(startdate=...)` is `client.call("call_logs", startdate=...)`."""
        if name in METHODS:
            return partial(self.call, name)
        raise AttributeError(name)

    def call(self, method: str, **params):
        pairs: list[tuple[str, str | int | float | bool | None]] = [
            ("pincode", self.pincode), ("format", self.format), ("method", method)]
        for name, value in params.items():
            if isinstance(value, (list, tuple)):
                pairs.extend((f"{name}[]", str(item)) for item in value)
            elif value is not None:
                pairs.append((name, str(value)))
        if self.use_post:
            response = self.http.post(self.url, data=dict(_merge(pairs)))
        else:
            response = self.http.get(self.url, params=pairs)
        response.raise_for_status()
        envelope = parse_xml(response.text) if _is_xml(response) else response.json()
        if envelope["code"] != 1:
            raise AvidTrakError(envelope["code"], envelope["status"], envelope["data"])
        return envelope["data"]


def _merge(pairs):
    """Form bodies via httpx take a dict: repeated keys become lists."""
    merged: dict = {}
    for name, value in pairs:
        if name in merged:
            merged[name] = (merged[name] if isinstance(merged[name], list) else [merged[name]]) + [value]
        else:
            merged[name] = value
    return merged.items()


def _is_xml(response) -> bool:
    return "xml" in response.headers.get("content-type", "")


def parse_xml(text: str) -> dict:
    """`<response><code/><status/><data/></response>` -> {"code": int, "status": str, "data": ...}."""
    root = ET.fromstring(text.encode("utf-8"))
    if root.tag != "response":
        raise ValueError(f"unexpected root element <{root.tag}>")
    return {
        "code": int(root.findtext("code") or ""),
        "status": root.findtext("status") or "",
        "data": element_value(root.find("data")),
    }


def element_value(element):
    """Children all named `row` -> list; other children -> dict; no children -> text or None."""
    if element is None:
        return None
    children = list(element)
    if not children:
        return element.text if element.text else None
    if all(child.tag == "row" for child in children):
        return [element_value(child) for child in children]
    return {child.tag: element_value(child) for child in children}
