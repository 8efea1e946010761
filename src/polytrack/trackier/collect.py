"""The tracking side on the wire: the click URLs (`/{linkId}` and `/click?campaign_id=&pub_id=`),
the impression pixel (`/imp`), the advertiser's server postback (`/acquisition`) and the browser
conversion pixel (`/pixel`).

These answer browsers and advertisers' servers, not API clients: no key, no JSON envelope of the
API. A click is 302 to its destination (or a blank page, or 404 for an unknown link); pixels
are a 1x1 GIF (an empty page inside an iframe); the postback is always HTTP 200 with a small
JSON body saying whether the conversion was recorded. Every event is committed before the
answer goes out. They write collected data only, on a connection of their own, so a click
does not empty the caches of keys and campaigns (kernel.coherence).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from polytrack.kernel.groupcommit import GroupCommit
from polytrack.kernel.hot import CollectedDB
from polytrack.kernel.params import parse_query, picked_headers
from polytrack.kernel.routing import ClaimingRoute
from polytrack.services import Services
from polytrack.trackier import postbacks, spool, tracking
from polytrack.trackier.routing import ID_RE

log = logging.getLogger("polytrack.trackier")

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
BLANK_PAGE = "<!doctype html><title></title>"
# Where the visitor's country comes from: a header set by the proxy in front (Cloudflare's by
# default; nginx's GeoIP module or a CDN can set any). Without it every visitor is XX.
DEFAULT_COUNTRY_HEADER = "cf-ipcountry"
MAX_QUERY = 8192
DEFAULT_POSTBACK_INTERVAL = 5.0
# How long a click target or campaign setup is kept: only a change made outside polytrack (a
# sqlite3 shell) waits this long; polytrack's own writes empty the caches at once.
TARGET_MAX_AGE = 30.0


def _query(request: Request) -> dict[str, str]:
    """The query string as a dict (PHP style: the last repeat wins), bounded in size, without
    NUL characters (no PostgreSQL text can hold one)."""
    raw = request.scope.get("query_string", b"")[:MAX_QUERY].decode("utf-8", "replace")
    return {name: value.replace("\x00", "") for name, value in parse_query(raw)} if raw else {}


class Sent(NamedTuple):
    """What the tracking endpoints read of a request's headers (in one pass: picked_headers)."""

    host: str  # without the port
    user_agent: str
    referer: str | None
    country: str | None  # the configured country header


def _sent(request: Request, country_header: bytes) -> Sent:
    found = picked_headers(request.scope, (b"host", b"user-agent", b"referer", country_header))
    return Sent(found.get(b"host", "").split(":")[0], found.get(b"user-agent", ""), found.get(b"referer"),
                found.get(country_header))


@lru_cache(maxsize=4096)  # a server-side click's `ipaddr`: parsing costs more than the rest of a click's checks
def _address(text: str | None) -> str | None:
    """An IP address as text, or None for anything else."""
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None


class Collector:
    """The tracking endpoints, built once per app with their settings and connection."""

    def __init__(self, services: Services):
        self.services = services
        self.db = CollectedDB(services.engine)  # clicks, impressions, conversions
        # campaign id -> tracking.CampaignSetup; link (or campaign, publisher, host) ->
        # tracking.Target: both follow the main marker, so any management write empties them.
        # A busy network has thousands of links: entries live TARGET_MAX_AGE seconds (not the
        # kernel's one second), else most clicks would read their target again.
        self.setups = services.read_cache(max_age=TARGET_MAX_AGE)
        self.targets = services.read_cache(max_age=TARGET_MAX_AGE)
        # clicks are stored by group commit: the clicks of concurrent requests in one transaction
        self.clicks = GroupCommit(self._store_clicks, self._store_clicks)
        self.country_header = services.settings.api_setting("trackier.country_header",
                                                            DEFAULT_COUNTRY_HEADER).lower().encode("latin-1")
        self.sender = sender_for(services)

    def visitor(self, request: Request, sent: Sent, query: dict[str, str]) -> tracking.Visitor:
        """Who clicked: the TCP peer (or `ipaddr` for a server-side click), the user agent (or
        `user_agent`), the country from the configured header."""
        client = request.scope.get("client")
        address = _address(query["ipaddr"]) if "ipaddr" in query else None
        return tracking.visitor(address or (client[0] if client else None), query.get("user_agent") or sent.user_agent,
                                sent.country)

    def setup(self, campaign_id: int, comm_model: str) -> tracking.CampaignSetup:
        return tracking.setup_for(self.setups, self.db, campaign_id, comm_model == "cps")

    def _changed_campaigns(self) -> None:
        """A cap paused a campaign: tell the caches of campaigns (the main marker)."""
        self.db.generation.bump(collected=False)

    # --- clicks and impressions ---------------------------------------------------------------

    async def click(self, request: Request) -> Response:
        query, sent = _query(request), _sent(request, self.country_header)
        target = tracking.target_by_ids(self.db, query.get("campaign_id", ""), query.get("pub_id", ""), sent.host,
                                        self.targets)
        return await self._click(request, sent, target, query)

    async def link_click(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "GET"})
        query, sent = _query(request), _sent(request, self.country_header)
        return await self._click(request, sent, tracking.target_by_link(self.db, request.scope["path"].strip("/"),
                                                                        self.targets), query)

    async def _click(self, request: Request, sent: Sent, target: tracking.Target | None,
                     query: dict[str, str]) -> Response:
        if target is None:
            return PlainTextResponse("Invalid tracking link", status_code=404)
        who = self.visitor(request, sent, query)
        setup = self.setup(target.campaign_id, target.comm_model)
        click = tracking.prepare_click(self.services.clock, target, setup, who, query,
                                       user_agent=sent.user_agent, referer=sent.referer)
        await self.clicks.submit([click])  # answered once the click is committed
        if click.rejected == "cap":
            self._changed_campaigns()
        destination = click.destination()
        if destination is None:
            return Response(BLANK_PAGE, media_type="text/html")
        if click.rejected is not None:
            return Redirect(destination)
        # the browser pixel finds the click by this cookie
        return Redirect(destination, f"{tracking.cookie_name(target.campaign_object_id)}={click.click_id}; "
                                     f"Max-Age={target.cookie_duration * 86400}; Path=/; SameSite=lax")

    def _store_clicks(self, clicks: list[tracking.Click]) -> list[str | None]:
        """One transaction of the group commit (on the event loop's thread, the held connection)."""
        with self.db.transaction():
            return tracking.store_or_spool_clicks(self.db, clicks)

    def find_click(self, click_object_id: str) -> tracking.ClickRow | None:
        """A click by its id, also one still in the spool: not found, the spool is folded and
        the click looked for again (also when another worker's fold moved it meanwhile)."""
        click = tracking.find_click(self.db, click_object_id)
        if click is None:
            spool.settle(self.db)
            click = tracking.find_click(self.db, click_object_id)
        return click

    async def impression(self, request: Request) -> Response:
        """Counts an impression of a running campaign; a GIF whatever the ids (a broken pixel
        must not break the page showing it)."""
        query, sent = _query(request), _sent(request, self.country_header)
        target = tracking.target_by_ids(self.db, query.get("campaign_id", ""), query.get("pub_id", ""), sent.host,
                                        self.targets)
        if target is not None:
            who = self.visitor(request, sent, query)
            setup = self.setup(target.campaign_id, target.comm_model)
            if tracking.refusal(target, setup, who, "0000-00-00") is None:  # caps aside
                with self.db.transaction():
                    tracking.record_impression(self.db, self.services.clock, target, who)
        return Response(GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})

    # --- conversions --------------------------------------------------------------------------

    async def postback(self, request: Request) -> Response:
        """GET (or POST with a form) /acquisition?click_id=&security_token=...: always 200."""
        query = _query(request)
        if request.method == "POST":
            body = (await request.body())[:MAX_QUERY].decode("utf-8", "replace")
            query.update(parse_query(body))
        click = self.find_click(query.get("click_id", ""))
        if click is None:
            return self._answer(False, "Invalid click")
        if not tracking.token_matches(click.security_token, query.get("security_token")):
            return self._answer(False, "Invalid security token")
        return self._convert(request, click, query, method=tracking.POSTBACK_METHOD)

    async def pixel(self, request: Request) -> Response:
        """The browser pixel: the click is the one in the campaign's cookie; a GIF (or an empty
        page for an iframe) whatever happened."""
        query = _query(request)
        campaign = (query.get("adid") or "").strip().lower()
        click = None
        if ID_RE.match(campaign) and len(campaign) == 24:
            click = self.find_click(request.cookies.get(tracking.cookie_name(campaign), ""))
        if click is not None and click.campaign_object_id == campaign:
            outcome = self._convert(request, click, query, method=tracking.PIXEL_METHOD,
                                    referer=request.headers.get("referer"))
            log.debug("trackier pixel: %s", outcome.body)
        if request.headers.get("sec-fetch-dest") in ("iframe", "document"):
            return Response(BLANK_PAGE, media_type="text/html")
        return Response(GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})

    def _convert(self, request: Request, click: tracking.ClickRow, query: dict[str, str], *, method: str,
                 referer: str | None = None) -> Response:
        client = request.scope.get("client")
        setup = self.setup(click.campaign_id, click.comm_model)
        try:
            with self.db.transaction():
                conversion = tracking.record_conversion(self.db, self.services.clock, click, setup, query,
                                                        method=method, ipaddr=client[0] if client else None,
                                                        referer=referer)
                # the affiliate's postbacks are queued with the conversion, committed together
                queued = postbacks.queue_for(self.db, self.services.clock, conversion.id)
        except tracking.Refused as refused:
            return self._answer(False, str(refused))
        if conversion.status == "rejected" and any(cap.pause for cap in setup.caps):
            self._changed_campaigns()
        if queued:
            self.sender.wake()
        return self._answer(True, "Conversion Recorded!!", conversion_id=conversion.object_id,
                            status=conversion.status)

    @staticmethod
    def _answer(success: bool, message: str, **extra) -> Response:
        return Response(json.dumps({"success": success, "message": message, **extra}), media_type="application/json")


class Redirect(Response):
    """A 302 with its headers written directly (Starlette's header handling is a good part of
    a click's cost): the Location and, for an accepted click, its cookie."""

    def __init__(self, location: str, cookie: str | None = None):
        self.status_code = 302
        self.background = None
        self.body = b""
        self.raw_headers = [(b"location", location.encode("utf-8")), (b"content-length", b"0")]
        if cookie is not None:
            self.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))


class Sender:
    """The worker's postback sender: sends due deliveries (postbacks.deliver_due, in a thread)
    every `trackier.postback_interval` seconds (0: no sender in this process), and at once when
    a conversion of this worker queued one. It runs as the package's background task
    (`background_tasks`), started with the worker, so after a restart the queue is picked up at
    once."""

    def __init__(self, services: Services):
        self.services = services
        self.interval = services.settings.api_setting("trackier.postback_interval", DEFAULT_POSTBACK_INTERVAL)
        self.woken: asyncio.Event | None = None

    def wake(self) -> None:
        """Something was queued: send it now rather than at the next round."""
        if self.woken is not None:
            self.woken.set()

    async def run(self) -> None:
        if self.interval <= 0:
            return
        woken = self.woken = asyncio.Event()
        with httpx.Client() as http:
            while True:
                woken.clear()
                try:
                    await asyncio.to_thread(postbacks.deliver_due, self.services, http)
                except Exception:  # the sender must outlive a bad moment; the queue keeps the work
                    log.exception("trackier postback sender failed")
                try:
                    await asyncio.wait_for(woken.wait(), timeout=self.interval)
                except asyncio.TimeoutError:
                    pass


def sender_for(services: Services) -> Sender:
    """The one sender of an app's services: the endpoints wake it, the background task runs it."""
    return services.shared("trackier.sender", lambda: Sender(services))


# Pruning the unique-click keys of past days: how many per transaction, how long between two
# (clicks take the write lock in between), and how long between two rounds.
PRUNE_BATCH = 2000
PRUNE_PAUSE_SECONDS = 0.05
PRUNE_EVERY_SECONDS = 3600.0


async def prune_unique_clicks(services: Services) -> None:
    """Every hour, delete the unique-click keys of days that are over in every time zone (a
    click only ever consults its own day's), so the table holds about two days of visitors."""
    db = CollectedDB(services.engine)
    try:
        while True:
            while True:
                with db.transaction():
                    pruned = tracking.prune_visits(db, services.clock.timestamp(), PRUNE_BATCH)
                if pruned < PRUNE_BATCH:
                    break
                await asyncio.sleep(PRUNE_PAUSE_SECONDS)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
    finally:
        db.close()


# How often a worker folds the click spool (spool.py), by default: readers fold what is pending
# anyway, so this only decides how many clicks a fold shares its pages among, and how long the
# spool gets.
DEFAULT_FOLD_INTERVAL = 0.5


async def fold_spooled_clicks(services: Services) -> None:
    """Every `trackier.fold_interval` seconds (0: not in this process), fold the spooled clicks,
    in a thread (the fold is SQL: the database works while the event loop answers)."""
    interval = services.settings.api_setting("trackier.fold_interval", DEFAULT_FOLD_INTERVAL)
    if interval <= 0:
        return
    db = CollectedDB(services.engine)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trackier-fold") as thread:  # one held connection
        try:
            while True:
                await asyncio.sleep(interval)
                await loop.run_in_executor(thread, spool.settle, db)
        finally:
            thread.submit(db.close)


def background_tasks(services: Services) -> list:
    """What each worker runs while it serves: the postback sender, the folding of spooled
    clicks and the pruning of past days' unique-click keys."""
    sender = sender_for(services)
    tasks = [sender.run] if sender.interval > 0 else []
    return [*tasks, functools.partial(fold_spooled_clicks, services), functools.partial(prune_unique_clicks, services)]


class LinkClickRoute(ClaimingRoute):
    """`/{linkId}`: a 24-hex path at the root is a tracking link (nothing else of any API has
    such a path)."""

    @staticmethod
    def claims(path: str) -> bool:
        segment = path.strip("/")
        return len(segment) == 24 and "/" not in segment and ID_RE.match(segment) is not None


def routes(services: Services, collector: Collector | None = None) -> list:
    collector = collector or Collector(services)
    tracking.describe_agent("Mozilla/5.0")  # load the user-agent rules now, not on the first click
    return [
        Route("/click", collector.click, methods=["GET"]),
        Route("/imp", collector.impression, methods=["GET"]),
        Route("/acquisition", collector.postback, methods=["GET", "POST"]),
        Route("/pixel", collector.pixel, methods=["GET"]),
        LinkClickRoute(collector.link_click),
    ]
