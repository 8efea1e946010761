"""AvidTrak REST web service (/webservice/api.php): pincode auth, {code, status, data} as JSON or XML."""

from polytrack.apis import ApiPackage


def _import_tables():
    from polytrack.avidtrak import tables  # noqa: F401


def _routes(services):
    from polytrack.avidtrak import wire

    return wire.routes(services)


def _seed(services, conn):
    from polytrack.avidtrak import demo

    demo.seed(services, conn)


def _credentials(base_url):
    from polytrack.avidtrak import demo

    return demo.credentials(base_url)


def _curl(base_url, creds):
    from polytrack.avidtrak import demo

    return demo.curl_examples(base_url, creds)


def _admin_routes(services):
    from polytrack.avidtrak import admin

    return admin.admin_routes(services)


def _register_cli(root, admin_parsers):
    from polytrack.avidtrak import admin

    admin.register_cli(root, admin_parsers)


package = ApiPackage(
    name="avidtrak",
    import_tables=_import_tables,
    routes=_routes,
    seed_demo=_seed,
    demo_credentials=_credentials,
    admin_routes=_admin_routes,
    register_cli=_register_cli,
    curl_examples=_curl,
)
