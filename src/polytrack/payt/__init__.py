"""Pay as you Track v2 (/api2.ashx) and TrackerPro Admin (/trackerpro_admin.ashx).

TrackerPro administers PAYT's clients, so both APIs share this package and its tables.
"""

from polytrack.apis import conventional_package


def _routes(services):
    from polytrack.payt import ingest, wire

    return wire.routes(services) + ingest.routes(services)


def _extra_servers(settings):
    """The OsmAnd device listener on its own port (Traccar's 5055 by default; 0 = off)."""
    if settings.osmand_port:
        return [(settings.osmand_port, "polytrack.payt.ingest:osmand_app")]
    return []


package = conventional_package("payt", routes=_routes, extra_servers=_extra_servers)
