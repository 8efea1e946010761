"""PAYT data collection: positions from GPS devices and phone apps (OsmAnd protocol).

Served at `/osmand` on the main port and on any path of its own port (`settings.osmand_port`,
Traccar's 5055 by default; `osmand_app` is the Granian factory for it). Answers as Traccar
does: 200 with an empty body when the position is taken (also for duplicates and late
arrivals), 400 for malformed input or an unknown device id (404 for an unknown device in the
JSON form), with a short plain-text reason.

Modules: `osmand` decodes the protocol, `http` is the ASGI endpoint, `store` validates fixes
against the fleet and stores them, `batch` commits the fixes of concurrent requests together
(group commit), `cache` holds the per-process device lookups.
"""

from __future__ import annotations

from starlette.routing import Route

from polytrack.payt.ingest.http import MAX_BODY_BYTES, OsmandEndpoint
from polytrack.payt.ingest.store import PositionIngest, Refused

__all__ = ["MAX_BODY_BYTES", "OsmandEndpoint", "PositionIngest", "Refused", "build_osmand_app", "osmand_app",
           "routes"]


def routes(services) -> list:
    """The OsmAnd endpoint on the main port: /osmand (and anything under it). No `methods`:
    the endpoint answers other methods itself (405 with a reason, as on the device port)."""
    endpoint = OsmandEndpoint(services)
    return [Route("/osmand", endpoint), Route("/osmand/{rest:path}", endpoint)]


def build_osmand_app(services) -> OsmandEndpoint:
    """The device listener: the OsmAnd protocol on every path."""
    return OsmandEndpoint(services)


def osmand_app() -> OsmandEndpoint:
    """Granian factory for the separate device port (settings come from the environment that
    `polytrack serve` prepared)."""
    from polytrack.config import load_settings
    from polytrack.services import Services

    settings = load_settings()
    return build_osmand_app(Services.build(settings))
