"""Mapp Intelligence (formerly Webtrekk) JSON/RPC API 1.1 at /cgi-bin/wt/JSONRPC.cgi."""

from polytrack.apis import ApiPackage


def _import_tables():
    from polytrack.mapp import tables  # noqa: F401


def _routes(services):
    from polytrack.mapp import wire

    return wire.routes(services)


def _seed(services, conn):
    from polytrack.mapp import demo

    demo.seed(services, conn)


def _credentials(base_url):
    from polytrack.mapp import demo

    return demo.credentials(base_url)


def _curl(base_url, creds):
    from polytrack.mapp import demo

    return demo.curl_examples(base_url, creds)


def _admin_routes(services):
    from polytrack.mapp import admin

    return admin.admin_routes(services)


def _register_cli(root, admin_parsers):
    from polytrack.mapp import admin

    admin.register_cli(root, admin_parsers)


package = ApiPackage(
    name="mapp",
    import_tables=_import_tables,
    routes=_routes,
    seed_demo=_seed,
    demo_credentials=_credentials,
    admin_routes=_admin_routes,
    register_cli=_register_cli,
    curl_examples=_curl,
)
