"""Pay as you Track v2 (/api2.ashx) and TrackerPro Admin (/trackerpro_admin.ashx).

TrackerPro administers PAYT's clients, so both APIs share this package and its tables.
"""

from polytrack.apis import ApiPackage


def _import_tables():
    from polytrack.payt import tables  # noqa: F401


def _routes(services):
    from polytrack.payt import ingest, wire

    return wire.routes(services) + ingest.routes(services)


def _extra_servers(settings):
    """The OsmAnd device listener on its own port (Traccar's 5055 by default; 0 = off)."""
    if settings.osmand_port:
        return [(settings.osmand_port, "polytrack.payt.ingest:osmand_app")]
    return []


def _seed(services, conn):
    from polytrack.payt import demo

    demo.seed(services, conn)


def _credentials(base_url):
    from polytrack.payt import demo

    return demo.credentials(base_url)


def _curl(base_url, creds):
    from polytrack.payt import demo

    return demo.curl_examples(base_url, creds)


def _admin_routes(services):
    from polytrack.payt import admin

    return admin.admin_routes(services)


def _register_cli(root, admin_parsers):
    from polytrack.payt import admin

    admin.register_cli(root, admin_parsers)


package = ApiPackage(
    name="payt",
    import_tables=_import_tables,
    routes=_routes,
    seed_demo=_seed,
    demo_credentials=_credentials,
    admin_routes=_admin_routes,
    register_cli=_register_cli,
    extra_servers=_extra_servers,
    curl_examples=_curl,
)
