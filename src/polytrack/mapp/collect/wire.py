"""The tracking pixel on the wire.

* `GET /<trackId>/wt?p=...` (also `wt.pl`, the v3 pixel's name, and POST): one hit; a POST with
  no query string carries the hit in its body.
* `POST /<trackId>/batch`: one hit per line (`wt?p=...`, `?p=...` as the Smart Pixel's beacon
  sends it, or `p=...`); parameters of the batch URL apply to every line.

Every answer is 200 with a 1x1 transparent GIF and no-cache headers: a pixel never shows an
error to a browser. A hit for an unknown Track ID or one that cannot be read is answered the same
way but not stored; it is counted per Track ID and reason (GET /_polytrack/mapp/rejected-hits).
Hits are committed before the answer goes out, the hits of concurrent requests in one
transaction (kernel.groupcommit); a request costs parsing, a cached Track ID lookup and its share
of that transaction. Visits are derived afterwards (collect/sessions.py). If the database
cannot take the hits, the answer is 503 instead: nothing was stored, so nothing may be
acknowledged (server-to-server libraries retry on anything but 200).
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request, cookie_parser
from starlette.responses import Response

from polytrack.kernel.groupcommit import GroupCommit
from polytrack.kernel.params import BadInput, picked_headers, read_body
from polytrack.kernel.routing import ClaimingRoute
from polytrack.mapp.collect.pixel import Hit, Malformed, parse_hit, raw_pairs
from polytrack.kernel.hot import CollectedDB
from polytrack.mapp.collect.sessions import pixel_activity
from polytrack.mapp.collect.store import Destination, Rejection, count_rejected, destination, store_hits
from polytrack.services import Services

log = logging.getLogger("polytrack.mapp.pixel")

# /<trackId>/wt: Track IDs are digits like customerIds; a comma list records into each account.
# The Smart Pixel can append random letters to `wt` (against ad blockers).
PIXEL_PATH = re.compile(r"^/([0-9][0-9,]{0,200})/(wt[A-Za-z0-9_.-]{0,32}|batch)$")
MAX_BATCH_LINES = 10_000           # what the vendor's server-to-server libraries send at most
MAX_BATCH_BYTES = 24 * 1024 * 1024
MAX_HIT_BODY_BYTES = 64 * 1024
TRANSPARENT_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
                   b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate, max-age=0", "Pragma": "no-cache", "Expires": "0"}
EID_COOKIES = ("wt3_eid", "wtstp_eid")


def _gif(status: int = 200) -> Response:
    return Response(TRANSPARENT_GIF, status_code=status, media_type="image/gif", headers=NO_CACHE)


# Built once: a Response holds no per-request state, and building its headers is a tenth of a hit's cost.
GIF_200 = _gif()


_READ_HEADERS = (b"user-agent", b"cookie")


def _eid_cookie(header: str) -> str:
    """The visitor id of the Webtrekk cookies, if the Cookie header holds one."""
    if "_eid" not in header:  # most hits: parsing the header is not needed
        return ""
    cookies = cookie_parser(header)
    return next((cookies[name] for name in EID_COOKIES if cookies.get(name)), "")


def _batch_lines(body: bytes) -> list[str]:
    lines = []
    for line in body.decode("utf-8", "replace").split("\n"):
        line = line.strip()
        if line:
            # `wt?p=...`, `/123/wt?p=...`, `?p=...`: the query is what follows the first `?`
            lines.append(line.partition("?")[2] if "?" in line else line)
    return lines


class Pixel:
    __slots__ = ("services", "db", "destinations", "group_commit", "activity")

    def __init__(self, services: Services):
        self.services = services
        self.db = CollectedDB(services.engine)
        self.destinations = services.read_cache()  # Track ID -> Destination (follows account changes)
        self.group_commit = GroupCommit(self._store, self._store)
        self.activity = pixel_activity(services)  # the background sessionisation yields to the pixel

    def _store(self, hits: list[tuple[Destination, Hit]]) -> list[None]:
        """One transaction (the group commit's batch, or one request's hits after a failed one)."""
        with self.db.transaction():
            store_hits(self.db, hits)
        return [None] * len(hits)

    def _destination(self, track_id: str) -> Destination | None:
        return self.destinations.get_or_load(("track", track_id), lambda: destination(self.db, track_id))

    async def handle(self, request: Request) -> Response:
        match = PIXEL_PATH.match(request.scope["path"])
        assert match is not None  # the route claims only such paths
        track_ids = [track_id for track_id in match[1].split(",") if track_id]
        query = request.scope.get("query_string", b"").decode("utf-8", "replace")
        now_ms = int(self.services.clock.timestamp() * 1000)
        rejections: list[Rejection] = []
        if match[2] == "batch":
            try:
                lines = _batch_lines(await read_body(request, max_bytes=MAX_BATCH_BYTES))
            except BadInput:
                lines = []
                rejections.extend(Rejection(track_id, "batch too large", query) for track_id in track_ids)
            common = raw_pairs(query)
        else:
            if not query and request.method == "POST":
                try:
                    query = (await read_body(request, max_bytes=MAX_HIT_BODY_BYTES)).decode("utf-8", "replace").strip()
                except BadInput:
                    query = ""
                query = query.partition("?")[2] if "?" in query else query
            lines, common = [query], []
        for extra in lines[MAX_BATCH_LINES:]:
            rejections.extend(Rejection(track_id, "batch too large", extra) for track_id in track_ids)

        client = request.scope.get("client")
        sent = picked_headers(request.scope, _READ_HEADERS)
        user_agent = sent.get(b"user-agent", "")
        address = client[0] if client else ""
        cookie_eid = _eid_cookie(sent.get(b"cookie", ""))
        hits: list[Hit] = []
        for line in lines[:MAX_BATCH_LINES]:
            try:
                hits.append(parse_hit(line, received_ms=now_ms, user_agent=user_agent, ip=address,
                                      cookie_eid=cookie_eid, common=common))
            except Malformed as exc:
                rejections.extend(Rejection(track_id, exc.reason, line) for track_id in track_ids)

        stored: list[tuple[Destination, Hit]] = []
        for track_id in dict.fromkeys(track_ids):
            where = self._destination(track_id)
            if where is None:
                rejections.extend(Rejection(track_id, "unknown track id", hit.query) for hit in hits)
            else:
                stored.extend((where, hit) for hit in hits)
        try:
            if rejections:  # counting rejected hits changes nothing an answer depends on
                with self.db.transaction(bookkeeping=True):
                    count_rejected(self.db, rejections, now_ms)
            if stored:
                self.activity.note()
                await self.group_commit.submit(stored)
        except Exception:
            log.exception("storing %d hits failed", len(stored))
            return _gif(503)
        return GIF_200


class PixelRoute(ClaimingRoute):
    """Claims /<digits>/wt... and /<digits>/batch (the app's router finds it without walking
    the routes, like Trackier's family of paths)."""

    def __init__(self, pixel: Pixel):
        super().__init__(pixel.handle)

    def claims(self, path: str) -> bool:
        return PIXEL_PATH.match(path) is not None


def routes(services: Services) -> list:
    return [PixelRoute(Pixel(services))]
