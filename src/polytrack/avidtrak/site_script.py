"""Dynamic number insertion over HTTP: the tracking script and its swap endpoint.

    GET /{site_key}/track.js   the script (static/track.js with the site key and this server's
                               base URL filled in); an unknown key gets 404 and an empty script
    GET /dni/swap?k=&vid=&url=&ref=[&ts=][&callback=]
                               records the page load (dni.py) and answers the swaps as JSON
                               (JSONP with `callback`), open to every origin

A page load is collected data, stored like the voice webhooks' calls: fixed statements in a
group commit on the held connection (voice.CollectedStore), committed before the answer, moving
only the `collected` marker, so page views leave the read caches (the routing of calls, the
sites below) warm. What a site swaps (dni.Site) is read once per process and kept until an
operation changes something.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polytrack.avidtrak import dni
from polytrack.avidtrak.voice import CollectedStore
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
    def __init__(self, services: Services, store: CollectedStore):
        knob = services.settings.api_setting
        self.services = services
        self.store = store
        self.sites = services.read_cache()  # site key -> dni.Site (None: no such key)
        self.public_base_url = knob("avidtrak.public_base_url", "").rstrip("/")
        self.sandbox_clock = knob("avidtrak.sandbox_clock", False)

    async def script(self, request: Request) -> Response:
        site_key = request.path_params["site_key"]
        if self._site(site_key) is None:
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
        site = self._site(site_key)
        if site is None:
            return self._answer({"error": "unknown_site_key"}, 404, callback)
        client = request.scope.get("client")
        try:
            visit, swaps = await self.store.run(partial(
                dni.page_load, site=site, visitor_id=visitor_id, url=_clean(query.get("url", "")),
                referrer=_clean(query.get("ref", "")), at=at, ip=client[0] if client else "",
                user_agent=_clean(request.headers.get("user-agent", ""))))
        except self.store.driver_errors.IntegrityError:
            # the account went after its site was read (deleted by the operator meanwhile): the
            # visit has nothing left to belong to
            return self._answer({"error": "unknown_site_key"}, 404, callback)
        return self._answer({
            "vid": visitor_id, "visit_id": visit.id, "channel": visit.channel, "keyword": visit.keyword,
            "swaps": [{"site_number": s.site_number, "tracking_number": s.number,
                       "friendly_name": friendly_name(s.number)} for s in swaps]}, 200, callback)

    def _site(self, site_key: str) -> dni.Site | None:
        """What the site of `site_key` swaps (read on the held connection, outside any
        transaction), or None for a key no account has."""
        if not SITE_KEY_RE.fullmatch(site_key):
            return None
        return self.sites.get_or_load(site_key, lambda: dni.site_by_key(self.store.db, site_key))

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


def routes(services: Services, store: CollectedStore) -> list[Route]:
    site = SiteScript(services, store)
    return [Route("/{site_key}/track.js", site.script, methods=["GET"]),
            Route("/dni/swap", site.swap, methods=["GET"])]
