"""A Python client for the Trackier v1 API (polytrack's or the vendor's), one method per endpoint,
and the tracking side's click and postback.

    client = TrackierClient("http://127.0.0.1:8080/api", "demo-trackier-network-key-0000000000000000")
    advertisers = client.list_advertisers()["data"]["advertisers"]
    campaign = client.get_campaign("5dfa...")["data"]["campaign"]
    client.create_goal({"goal": {...}, "payouts": [...]})
    client.custom_report(group=["adid", "created"], start="2024-06-01")

Each endpoint method takes the path's ids in order, then `params` (the query string: lists are
sent as `name[]=` repeats) and, for methods with a body, `body`. HTTP errors raise TrackierError
with the HTTP status and the application code of the body; business failures the API reports
with HTTP 200 and `"success": false` are returned as they are.
"""

from __future__ import annotations

import re
from typing import Callable

import httpx

# method name -> (HTTP method, path template): every endpoint of the API.
ENDPOINTS: dict[str, tuple[str, str]] = {
    # Network API: advertisers and affiliates
    "list_advertisers": ("GET", "/advertiser"),
    "create_advertiser": ("POST", "/advertiser"),
    "get_advertiser": ("GET", "/advertiser/{id}"),
    "edit_advertiser": ("POST", "/advertiser/{id}"),
    "delete_advertiser": ("DELETE", "/advertiser/{id}"),
    "list_affiliates": ("GET", "/affiliate"),
    "create_affiliate": ("POST", "/affiliate"),
    "get_affiliate": ("GET", "/affiliate/{id}"),
    "edit_affiliate": ("POST", "/affiliate/{id}"),
    "delete_affiliate": ("DELETE", "/affiliate/{id}"),
    "affiliate_earnings": ("GET", "/affiliate/earning/{id}"),
    # campaigns and what hangs off them
    "list_campaigns": ("GET", "/campaign"),
    "create_campaign": ("POST", "/campaign"),
    "get_campaign": ("GET", "/campaign/{id}"),
    "edit_campaign": ("POST", "/campaign/{id}"),
    "delete_campaign": ("DELETE", "/campaign/{id}"),
    "campaign_stats": ("GET", "/campaign/stats/{id}"),
    "campaign_affiliate_stats": ("GET", "/campaign/stats/{id}/{affId}"),
    "tracking_domains": ("GET", "/campaign/domains"),
    "set_tracking_domains": ("PUT", "/campaign/domains"),
    "assign_publishers": ("POST", "/campaign/assign-publisher"),
    "create_caps": ("POST", "/caps/{campId}"),
    "list_caps": ("GET", "/caps/{campId}"),
    "get_cap": ("GET", "/caps/{campId}/{capId}"),
    "edit_cap": ("POST", "/caps/{campId}/{capId}"),
    "delete_cap": ("DELETE", "/caps/{campId}/{capId}"),
    "create_commission": ("POST", "/commissions/{campId}"),
    "list_commissions": ("GET", "/commissions/{campId}"),
    "get_commission": ("GET", "/commissions/{campId}/{id}"),
    "edit_commission": ("POST", "/commissions/{campId}/{id}"),
    "delete_commission": ("DELETE", "/commissions/{campId}/{id}"),
    "create_landing_page": ("POST", "/campaign/lpages/{campId}"),
    "list_landing_pages": ("GET", "/campaign/lpages/{campId}"),
    "edit_landing_page": ("POST", "/campaign/lpages/{campId}/{lpId}"),
    "delete_landing_page": ("DELETE", "/campaign/lpages/{campId}/{lpId}"),
    "create_pub_payout": ("POST", "/campaign/pub-payout/{campId}"),
    "list_pub_payouts": ("GET", "/campaign/pub-payout/{campId}"),
    "publisher_pub_payouts": ("GET", "/campaign/pub-payout/{campId}/{publisherId}"),
    "edit_pub_payout": ("POST", "/campaign/pub-payout/{campId}/{payoutId}"),
    "delete_pub_payout": ("DELETE", "/campaign/pub-payout/{campId}/{payoutId}"),
    # goals
    "create_goal": ("POST", "/goal"),
    "campaign_goals": ("GET", "/goal/campaign/{campaign_id}"),
    "get_goal": ("GET", "/goal/{goal_id}"),
    "edit_goal": ("POST", "/goal/{goal_id}"),
    "delete_goal": ("DELETE", "/goal/{goal_id}"),
    "create_goal_payout": ("POST", "/goal/payout/{goal_id}"),
    "edit_goal_payout": ("POST", "/goal/payout/{goal_id}/{payout_id}"),
    "delete_goal_payout": ("DELETE", "/goal/payout/{goal_id}/{payout_id}"),
    "network_goals": ("GET", "/goal"),
    "ad_goals": ("GET", "/goal/ad/{adId}"),
    "goal_payouts": ("GET", "/goal/payout/{goalId}"),
    "create_simple_goal": ("POST", "/goals/{campId}"),
    "list_simple_goals": ("GET", "/goals/{campId}"),
    "get_simple_goal": ("GET", "/goals/{campId}/{goalId}"),
    "edit_simple_goal": ("POST", "/goals/{campId}/{goalId}"),
    "delete_simple_goal": ("DELETE", "/goals/{campId}/{goalId}"),
    # the dictionary
    "countries": ("GET", "/dictionary/countries"),
    "devices": ("GET", "/dictionary/devices"),
    "list_categories": ("GET", "/dictionary/categories"),
    "create_category": ("POST", "/dictionary/categories"),
    "delete_category": ("DELETE", "/dictionary/categories/{id}"),
    "affiliate_fields": ("GET", "/dictionary/customField/affiliate"),
    "create_affiliate_field": ("POST", "/dictionary/customField/affiliate"),
    "delete_affiliate_field": ("DELETE", "/dictionary/customField/affiliate/{id}"),
    "advertiser_fields": ("GET", "/dictionary/customField/advertiser"),
    "create_advertiser_field": ("POST", "/dictionary/customField/advertiser"),
    "delete_advertiser_field": ("DELETE", "/dictionary/customField/advertiser/{id}"),
    # the network: account, links, reports, logs, imports, referrals
    "network_account": ("GET", "/network/account"),
    "edit_network_account": ("PATCH", "/network/account"),
    "get_link": ("GET", "/network/link/{affiliate_id}/{campaign_id}"),
    "create_link": ("POST", "/network/link/{affiliate_id}/{campaign_id}"),
    "network_stats": ("GET", "/network/stats"),
    "custom_report": ("GET", "/network/customReport"),
    "conversion_logs": ("GET", "/network/conversions"),
    "click_logs": ("GET", "/network/clicks"),
    "import_conversions": ("POST", "/network/conversion-import"),
    "list_jobs": ("GET", "/jobs"),
    "get_job": ("GET", "/jobs/{id}"),
    "list_referrals": ("GET", "/network/referral"),
    "create_referral": ("POST", "/network/referral"),
    "edit_referral": ("PATCH", "/network/referral/{id}"),
    "delete_referral": ("DELETE", "/network/referral/{id}"),
    # the Advertiser API (an advertiser's own key)
    "advertiser_campaigns": ("GET", "/advertiser/campaigns"),
    "advertiser_campaign": ("GET", "/advertiser/campaigns/{campaignId}"),
    "advertiser_campaign_stats": ("GET", "/advertiser/campaignStats/{id}"),
    "advertiser_report": ("GET", "/advertiser/report"),
    "advertiser_custom_report": ("GET", "/advertiser/customReport"),
    "advertiser_account": ("GET", "/advertiser/account"),
    "edit_advertiser_account": ("PATCH", "/advertiser/account"),
    "advertiser_import_conversions": ("POST", "/advertiser/conversion-import"),
    "advertiser_conversion_logs": ("GET", "/advertiser/conversion-logs"),
    # the Affiliate API (an affiliate's own key)
    "affiliate_campaigns": ("GET", "/affiliate/campaigns"),
    "affiliate_campaign": ("GET", "/affiliate/campaigns/{campaignId}"),
    "affiliate_link": ("GET", "/affiliate/link/{campaignId}"),
    "create_affiliate_link": ("POST", "/affiliate/link/{campaignId}"),
    "affiliate_custom_report": ("GET", "/affiliate/customReport"),
    "affiliate_account": ("GET", "/affiliate/account"),
    "edit_affiliate_account": ("PATCH", "/affiliate/account"),
    "request_access": ("POST", "/affiliate/requestAccess/{campaignId}"),
    "affiliate_conversions": ("GET", "/affiliate/conversions"),
    "affiliate_payout": ("GET", "/affiliate/payout"),
    "affiliate_report": ("GET", "/affiliate/report"),
    "campaign_search": ("GET", "/affiliate/campaign-search"),
}
BODY_METHODS = ("POST", "PUT", "PATCH")


class TrackierError(Exception):
    def __init__(self, status: int, code: int | None, message: str, body=None):
        super().__init__(f"HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


def query_pairs(params: dict | None) -> list[tuple[str, str | int | float | bool | None]]:
    """Query parameters as Trackier reads them: a list value becomes `name[]=` repeats."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in (params or {}).items():
        if isinstance(value, (list, tuple)):
            pairs.extend((f"{name}[]", str(item)) for item in value)
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def _endpoint(method: str, template: str) -> Callable[..., dict]:
    names = re.findall(r"\{([^}]+)\}", template)

    def call(self: "TrackierClient", *ids, params: dict | None = None, body: dict | None = None, **query) -> dict:
        if len(ids) != len(names):
            raise TypeError(f"{method} {template} takes {len(names)} id(s): {', '.join(names) or 'none'}")
        path = template
        for name, ident in zip(names, ids):
            path = path.replace("{" + name + "}", str(ident))
        return self.request(method, path, params={**(params or {}), **query},
                            json=(body if body is not None else {}) if method in BODY_METHODS else None)

    call.__doc__ = f"{method} {template}"
    return call


class TrackierClient:
    """The API at `base_url` (e.g. http://127.0.0.1:8080/api) with one key; every endpoint of
    ENDPOINTS is a method (see the module docstring)."""

    def __init__(self, base_url: str, api_key: str, *, http: httpx.Client | None = None, timeout: float = 30.0):
        """`http`: an httpx.Client to send with (e.g. Starlette's TestClient); one is made if absent."""
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http or httpx.Client(timeout=timeout)

    def request(self, method: str, path: str, *, params: dict | None = None, json=None) -> dict:
        response = self.http.request(method, f"{self.base_url}/{path.lstrip('/')}", params=query_pairs(params),
                                     json=json, headers={"X-Api-Key": self.api_key})
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

    def close(self) -> None:
        self.http.close()


for _name, (_method, _template) in ENDPOINTS.items():
    setattr(TrackierClient, _name, _endpoint(_method, _template))


class TrackingClient:
    """The tracking side at `base_url` (the server's root): clicks and server postbacks, as an
    affiliate's traffic and an advertiser's server send them."""

    def __init__(self, base_url: str, *, http: httpx.Client | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=timeout)

    def click(self, link_id: str, *, headers: dict | None = None, **params) -> httpx.Response:
        """GET /{linkId}: the redirect itself (not followed)."""
        return self.http.get(f"{self.base_url}/{link_id}", params=params, headers=headers, follow_redirects=False)

    def postback(self, click_id: str, security_token: str, **params) -> dict:
        """GET /acquisition: the answer, `{"success", "message", ...}`."""
        response = self.http.get(f"{self.base_url}/acquisition",
                                 params={"click_id": click_id, "security_token": security_token, **params})
        return response.json()
