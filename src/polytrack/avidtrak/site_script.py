"""Dynamic number insertion over HTTP: the tracking script and its swap endpoint.

    GET /{site_key}/track.js   the script (static/track.js with the site key and this server's
                               base URL filled in); an unknown key gets 404 and an empty script
    GET /dni/swap?k=&vid=&url=&ref=[&ts=][&callback=]
                               records the page load (dni.py) and answers the swaps as JSON
                               (JSONP with `callback`), open to every origin
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polytrack.avidtrak import dni
from polytrack.avidtrak.providers import friendly_name
from polytrack.avidtrak.values import utc_naive
from polytrack.kernel.render import json_response, valid_callback
from polytrack.services import Services

SCRIPT = resources.files("polytrack.avidtrak").joinpath("static/track.js").read_text(encoding="utf-8")
SCRIPT_TYPE = "application/javascript; charset=utf-8"
SITE_KEY_RE = re.compile(r"[A-Za-z0-9]{36}")
VISITOR_RE = re.compile(r"[A-Za-z0-9-]{8,64}")
CORS = {"Access-Control-Allow-Origin": "*"}


class SiteScript:
    def __init__(self, services: Services):
        knob = services.settings.api_setting
        self.services = services
        self.public_base_url = knob("avidtrak.public_base_url", "").rstrip("/")
        self.sandbox_clock = knob("avidtrak.sandbox_clock", False)

    async def script(self, request: Request) -> Response:
        site_key = request.path_params["site_key"]
        account = None
        if SITE_KEY_RE.fullmatch(site_key):
            with self.services.transaction() as db:
                account = dni.account_by_site_key(db, site_key)
        if account is None:
            return Response("", status_code=404, media_type=SCRIPT_TYPE)
        base = self.public_base_url or f"{request.url.scheme}://{request.url.netloc}"
        body = SCRIPT.replace("__SITE_KEY__", site_key).replace("__BASE_URL__", base)
        return Response(body, media_type=SCRIPT_TYPE, headers={"Cache-Control": "max-age=300"})

    async def swap(self, request: Request) -> Response:
        query = request.query_params
        callback = query.get("callback") or None
        if callback is not None and not valid_callback(callback):
            return self._answer({"error": "invalid_callback"}, 400, None)
        site_key, visitor_id = query.get("k", ""), query.get("vid", "")
        at = self._moment(query.get("ts", ""))
        if at is None:
            return self._answer({"error": "invalid_ts"}, 400, callback)
        if not VISITOR_RE.fullmatch(visitor_id):
            return self._answer({"error": "invalid_vid"}, 400, callback)
        client = request.scope.get("client")
        with self.services.transaction() as db:
            account = dni.account_by_site_key(db, site_key) if SITE_KEY_RE.fullmatch(site_key) else None
            if account is None:
                return self._answer({"error": "unknown_site_key"}, 404, callback)
            visit, swaps = dni.page_load(db, account, visitor_id, _clean(query.get("url", "")),
                                         _clean(query.get("ref", "")), at, client[0] if client else "",
                                         _clean(request.headers.get("user-agent", "")))
        return self._answer({
            "vid": visitor_id, "visit_id": visit.id, "channel": visit.channel, "keyword": visit.keyword,
            "swaps": [{"site_number": s.site_number, "tracking_number": s.number,
                       "friendly_name": friendly_name(s.number)} for s in swaps]}, 200, callback)

    def _moment(self, ts: str) -> datetime | None:
        """Now, or (`avidtrak.sandbox_clock`) the page load's time `YYYY-MM-DD HH:MM:SS`."""
        if not (self.sandbox_clock and ts):
            return utc_naive(self.services.clock.now())
        try:
            return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None

    @staticmethod
    def _answer(body: dict, status: int, callback: str | None) -> Response:
        return json_response(body, status=status, callback=callback, headers=CORS)


def _clean(text: str) -> str:
    """Free text from the page, as it can be stored (no NUL or other control characters)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", text)[:2000]


def routes(services: Services) -> list[Route]:
    site = SiteScript(services)
    return [Route("/{site_key}/track.js", site.script, methods=["GET"]),
            Route("/dni/swap", site.swap, methods=["GET"])]
