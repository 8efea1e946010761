"""The browser side of Admin/Launch: the pages a launch token opens.

    GET /?authtoken=T                 portal (legacy UI) launch URL, as the vendor documents
    GET /view/?authtoken=T            view (new UI; our placeholder path)
    GET /view/?authtoken=T&embed=1    view without chrome, for an IFRAME (placeholder)

A valid token is consumed (single use), a browser session starts (cookie holding its own random
session token, kernel kind "browser") and the browser is redirected to the UI without the
token in the URL. The UI lists the user's vehicles with their last positions and draws their
recent tracks as an inline SVG — all from our own tables, no external tiles or scripts. A used,
expired or unknown token gets a plain "link expired" page with HTTP 403.

"/" is claimed only when an `authtoken` parameter is present, so other APIs keep the root.
"""

from __future__ import annotations

import html
import math
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match

from polytrack.kernel.guard import FailedAuthGuard
from polytrack.kernel.routing import CaseInsensitiveRoute
from polytrack.kernel.sql import Db, Statement
from polytrack.payt import domain
from polytrack.payt.vehicle_states import VehicleState, visible_vehicle_states

SESSION_COOKIE = "polytrack_payt_session"
DEFAULT_VIEW_PATH = "/view/"
TRACK_HOURS = 24          # how much recent track the map shows per vehicle
TRACK_POINTS = 400        # at most this many points per vehicle (evenly thinned)
SVG_WIDTH, SVG_HEIGHT, SVG_MARGIN = 800, 500, 24
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _authtoken(query: str) -> str | None:
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.strip().lower() == "authtoken":
            return value
    return None


def _flag(query: str, name: str) -> bool:
    return any(k.strip().lower() == name and v.strip() not in ("", "0", "false") for k, v in parse_qsl(query, keep_blank_values=True))


class RootLaunchRoute(BaseRoute):
    """GET / — only when the query carries `authtoken`; anything else falls through."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def matches(self, scope):
        if scope["type"] == "http" and scope["path"] == "/" and _authtoken(scope.get("query_string", b"").decode("latin-1")) is not None:
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}

    def url_path_for(self, name, /, **path_params):  # pragma: no cover - never reversed
        raise NotImplementedError

    async def handle(self, scope, receive, send):
        if scope["method"] != "GET":
            await Response(status_code=405, headers={"Allow": "GET"})(scope, receive, send)
            return
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


# --- pages ------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:{margin};color:#222}}
table{{border-collapse:collapse;font-size:14px}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}
svg{{border:1px solid #ccc;background:#f7f7f2;max-width:100%;height:auto}}.none{{color:#888}}
</style></head><body>
{body}
</body></html>"""


def _headers(embed: bool) -> dict:
    ancestors = "*" if embed else "'self'"
    return {
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors {ancestors}",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def expired_page() -> HTMLResponse:
    body = "<h1>Link expired</h1><p>This link has expired or was already used. Please open PAYT again from your application.</p>"
    return HTMLResponse(_PAGE.format(title="Link expired", margin="2em", body=body), status_code=403, headers=_headers(False))


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000.0, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


_TRACK = Statement(
    "SELECT latitude, longitude FROM payt_positions WHERE vehicle_id = ? AND fix_ms >= ? AND fix_ms <= ? ORDER BY fix_ms")


def recent_tracks(db: Db, vehicles: list[VehicleState]) -> dict[int, list[tuple[float, float]]]:
    """Up to TRACK_HOURS of positions before each vehicle's last fix, thinned to TRACK_POINTS."""
    tracks = {}
    for v in vehicles:
        if v.fix_ms is None:
            continue
        rows = db.all(_TRACK, (v.id, v.fix_ms - TRACK_HOURS * 3_600_000, v.fix_ms))
        step = max(1, math.ceil(len(rows) / TRACK_POINTS))
        points = [(row[0], row[1]) for row in rows[::step]]
        if rows and points[-1] != (rows[-1][0], rows[-1][1]):
            points.append((rows[-1][0], rows[-1][1]))
        tracks[v.id] = points
    return tracks


def svg_map(vehicles, tracks) -> str:
    """Equirectangular plot of the tracks (lines) and last positions (dots) of the vehicles."""
    points = [p for track in tracks.values() for p in track]
    if not points:
        return '<p class="none">No positions received yet.</p>'
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    x_span = max((max(lons) - min(lons)) * math.cos(mid_lat), 1e-4)
    y_span = max(max(lats) - min(lats), 1e-4)
    scale = min((SVG_WIDTH - 2 * SVG_MARGIN) / x_span, (SVG_HEIGHT - 2 * SVG_MARGIN) / y_span)

    def xy(lat, lon):
        return (SVG_MARGIN + (lon - min(lons)) * math.cos(mid_lat) * scale,
                SVG_HEIGHT - SVG_MARGIN - (lat - min(lats)) * scale)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" width="{SVG_WIDTH}" '
             f'height="{SVG_HEIGHT}" role="img" aria-label="Vehicle positions">']
    for index, v in enumerate(vehicles):
        track = tracks.get(v.id)
        if not track:
            continue
        colour = COLOURS[index % len(COLOURS)]
        label = html.escape(v.registration or v.description or f"Vehicle {v.id}")
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p) for p in track))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2" opacity="0.7"/>')
        x, y = xy(v.latitude, v.longitude)
        parts.append(f'<circle class="vehicle" data-vehicle-id="{v.id}" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" '
                     f'stroke="#000"><title>{label}</title></circle>')
        parts.append(f'<text x="{x + 8:.1f}" y="{y - 8:.1f}" font-size="12">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vehicles_page(db: Db, caller: domain.Caller, *, embed: bool) -> HTMLResponse:
    vehicles = visible_vehicle_states(db, caller)
    tracks = recent_tracks(db, vehicles)
    rows = []
    for v in vehicles:
        rows.append(
            f'<tr data-vehicle-id="{v.id}"><td>{html.escape(v.registration or "")}</td><td>{html.escape(v.description or "")}</td>'
            f"<td>{html.escape(v.driver_name or '')}</td><td>{_when(v.fix_ms)}</td><td>{_number(v.latitude, 6)}</td>"
            f"<td>{_number(v.longitude, 6)}</td><td>{_number(v.speed_kph, 1)}</td></tr>"
        )
    table = ("<table><thead><tr><th>Registration</th><th>Description</th><th>Driver</th><th>Last position</th>"
             "<th>Latitude</th><th>Longitude</th><th>Speed km/h</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
             if rows else '<p class="none">No vehicles.</p>')
    header = "" if embed else f"<h1>{html.escape(caller.company)} — vehicles</h1><p>Signed in as {html.escape(caller.email)}</p>"
    body = header + svg_map(vehicles, tracks) + table
    title = f"{caller.company} vehicles"
    return HTMLResponse(_PAGE.format(title=html.escape(title), margin="0.5em" if embed else "2em", body=body),
                        headers=_headers(embed))


# --- endpoints --------------------------------------------------------------------------------

def routes(services, failed_auth: FailedAuthGuard | None) -> list:
    """The pages; `failed_auth`: the package's failed-credential guard (unknown, used and
    expired launch tokens count as failures; a blocked address gets the expired page)."""
    settings = services.settings
    view_path = "/" + str(settings.api_setting("payt.view_path", DEFAULT_VIEW_PATH)).strip("/") + "/"
    idle = settings.api_setting("payt.ticket_idle_seconds", domain.TICKET_IDLE_SECONDS)

    def start_session(request: Request, token: str, *, embed: bool) -> Response:
        client = request.scope.get("client")
        address = client[0] if client else None
        if failed_auth is not None and failed_auth.blocked(address):
            return expired_page()
        with services.transaction() as db:
            opened = domain.open_browser_session(db, services.tokens, token, idle_seconds=idle)
        if opened is None:
            if failed_auth is not None:
                failed_auth.failed(address)
            return expired_page()
        session, _caller = opened
        response = RedirectResponse(view_path + ("?embed=1" if embed else ""), status_code=303, headers=_headers(embed))
        secure = request.url.scheme == "https"
        # An IFRAME on the integrator's site is a third-party context: its cookie must be SameSite=None.
        response.set_cookie(SESSION_COOKIE, session, httponly=True, path="/", secure=secure,
                            samesite="none" if (embed and secure) else "lax")
        return response

    async def portal(request: Request) -> Response:
        return start_session(request, _authtoken(request.url.query) or "", embed=False)

    async def view(request: Request) -> Response:
        query = request.url.query
        embed = _flag(query, "embed")
        token = _authtoken(query)
        if token is not None:
            return start_session(request, token, embed=embed)
        with services.transaction() as db:  # the session's idle window slides: a write
            caller = domain.caller_for_browser_session(db, services.tokens, request.cookies.get(SESSION_COOKIE))
            if caller is None:
                return expired_page()
            return vehicles_page(db, caller, embed=embed)

    return [
        RootLaunchRoute(portal),
        CaseInsensitiveRoute(view_path, view, methods=("GET",)),
        CaseInsensitiveRoute(view_path.rstrip("/"), view, methods=("GET",)),
    ]
