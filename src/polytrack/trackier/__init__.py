"""Trackier v1 (formerly vNative): the Network API at /api/... and the bare paths.

Advertisers, affiliates and campaigns of a network, authenticated by an API key
(X-Api-Key header or apiKey query parameter) with an optional IP whitelist.
"""

from polytrack.apis import ApiPackage


def _import_tables():
    from polytrack.trackier import tables  # noqa: F401


def _routes(services):
    from polytrack.trackier import wire

    return wire.routes(services)


def _seed(services, conn):
    from polytrack.trackier import demo

    demo.seed(services, conn)


def _credentials(base_url):
    from polytrack.trackier import demo

    return demo.credentials(base_url)


def _curl(base_url, creds):
    from polytrack.trackier import demo

    return demo.curl_examples(base_url, creds)


def _admin_routes(services):
    from polytrack.trackier import admin

    return admin.admin_routes(services)


def _register_cli(root, admin_parsers):
    from polytrack.trackier import admin

    admin.register_cli(root, admin_parsers)


package = ApiPackage(
    name="trackier",
    import_tables=_import_tables,
    routes=_routes,
    seed_demo=_seed,
    demo_credentials=_credentials,
    admin_routes=_admin_routes,
    register_cli=_register_cli,
    curl_examples=_curl,
)
