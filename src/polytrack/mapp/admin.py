"""Provisioning for Mapp: accounts, Q3 users and which accounts a user may access. Used by the
operator HTTP API (/_polytrack/mapp/...) and by `polytrack admin mapp ...`."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.routing import Route

from polytrack.admin_http import AdminError, json_body
from polytrack.apis import CliError, CliKit
from polytrack.mapp import custom_metrics, domain, reports
from polytrack.mapp.collect import importer, store
from polytrack.mapp.domain import ProvisioningError
from polytrack.services import Services


def create_account(services: Services, *, title: str, customer_id: str | None = None,
                   timezone: str = domain.DEFAULT_TIMEZONE) -> dict:
    with services.transaction() as db:
        return domain.create_account(db, services.clock, title=title, customer_id=customer_id, timezone=timezone)


def create_user(services: Services, *, login: str, password: str, customer_ids: list[str],
                language: str = domain.DEFAULT_LANGUAGE) -> dict:
    with services.transaction() as db:
        return domain.create_user(db, services.clock, login=login, password=password,
                                  customer_ids=customer_ids, language=language)


def add_track_id(services: Services, *, customer_id: str, track_id: str | None = None) -> dict:
    with services.transaction() as db:
        return domain.add_track_id(db, services.clock, customer_id=customer_id, track_id=track_id)


def create_report(services: Services, **report) -> dict:
    with services.transaction() as db:
        return reports.create_report(db, services.clock, **report)


def create_custom_metric(services: Services, **metric) -> dict:
    with services.transaction() as db:
        return custom_metrics.create_custom_metric(db, services.clock, **metric)


def set_account_limits(services: Services, *, customer_id: str, limits: dict) -> dict:
    with services.transaction() as db:
        return domain.set_account_limits(db, customer_id=customer_id, limits=limits)


def rejected_hits(services: Services) -> list[dict]:
    return store.rejected_hits(services.hot)


def grant(services: Services, *, login: str, customer_ids: list[str]) -> dict:
    with services.transaction() as db:
        return domain.grant(db, services.clock, login=login, customer_ids=customer_ids)


# --- operator HTTP ----------------------------------------------------------------------------

def _optional_text(data: dict, name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise AdminError(400, f"{name} must be a string")
    return value


def _text(data: dict, name: str) -> str:
    value = _optional_text(data, name)
    if value is None:
        raise AdminError(400, f"missing field: {name}")
    return value


def _customer_ids(data: dict) -> list[str]:
    """`customerIds` as a list (or one `customerId`); form bodies may send a comma list."""
    value = data.get("customerIds", data.get("customerId"))
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [part.strip() for part in str(value).split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value]
    raise AdminError(400, "customerIds must be a list of customerId strings")


def _provision(action) -> JSONResponse:
    try:
        return JSONResponse(action(), status_code=201)
    except ProvisioningError as exc:
        raise AdminError(exc.status, exc.message) from exc


def admin_routes(services) -> list:
    async def post_account(request):
        data = await json_body(request)
        title = _text(data, "title")
        customer_id = _optional_text(data, "customerId")
        timezone = _optional_text(data, "timezone") or domain.DEFAULT_TIMEZONE
        return _provision(lambda: create_account(services, title=title, customer_id=customer_id, timezone=timezone))

    async def post_user(request):
        data = await json_body(request)
        login, password = _text(data, "login"), _text(data, "pass")
        language = _optional_text(data, "language") or domain.DEFAULT_LANGUAGE
        customer_ids = _customer_ids(data)
        return _provision(lambda: create_user(services, login=login, password=password,
                                              customer_ids=customer_ids, language=language))

    async def post_grant(request):
        data = await json_body(request)
        login, customer_ids = _text(data, "login"), _customer_ids(data)
        if not customer_ids:
            raise AdminError(400, "missing field: customerIds")
        return _provision(lambda: grant(services, login=login, customer_ids=customer_ids))

    async def post_track_id(request):
        data = await json_body(request)
        customer_id, track_id = _text(data, "customerId"), _optional_text(data, "trackId")
        return _provision(lambda: add_track_id(services, customer_id=customer_id, track_id=track_id))

    async def post_report(request):
        data = await json_body(request)
        report = {"customer_id": _text(data, "customerId"), "title": _text(data, "title"),
                  "group": _optional_text(data, "reportGroup") or "", "author": _optional_text(data, "author") or "",
                  "description": _optional_text(data, "description") or "", "analyses": data.get("analyses")}
        return _provision(lambda: create_report(services, **report))

    async def post_custom_metric(request):
        data = await json_body(request)
        metric = {"customer_id": _text(data, "customerId"), "title": _text(data, "title"),
                  "metric": _text(data, "metric"), "rules": data.get("filter")}
        return _provision(lambda: create_custom_metric(services, **metric))

    async def post_account_limits(request):
        data = await json_body(request)
        customer_id = _text(data, "customerId")
        limits = {field: data.get(field) for field in domain.LIMIT_FIELDS}
        return _provision(lambda: set_account_limits(services, customer_id=customer_id, limits=limits))

    async def get_rejected_hits(_request):
        return JSONResponse(rejected_hits(services))

    return [
        Route("/accounts", post_account, methods=["POST"]),
        Route("/track-ids", post_track_id, methods=["POST"]),
        Route("/rejected-hits", get_rejected_hits, methods=["GET"]),
        Route("/reports", post_report, methods=["POST"]),
        Route("/custom-metrics", post_custom_metric, methods=["POST"]),
        Route("/account-limits", post_account_limits, methods=["POST"]),
        Route("/users", post_user, methods=["POST"]),
        Route("/grants", post_grant, methods=["POST"]),
    ]


# --- CLI --------------------------------------------------------------------------------------

def register_cli(root, admin, kit: CliKit) -> None:
    _register_data_cli(root, kit)
    mapp = admin.add_parser("mapp", help="Mapp Intelligence: accounts, Q3 users, account access")
    sub = mapp.add_subparsers(dest="mapp_command", required=True)

    account = sub.add_parser("create-account", help="create an account (Track ID = customerId)")
    account.add_argument("--title", required=True)
    account.add_argument("--customer-id", help="digits; a random 15-digit id when omitted")
    account.add_argument("--timezone", default=domain.DEFAULT_TIMEZONE)
    kit.add_db_flags(account)
    account.set_defaults(func=lambda a: _run(lambda: create_account(
        kit.open_services(a), title=a.title, customer_id=a.customer_id, timezone=a.timezone)))

    user = sub.add_parser("create-user", help="create a Q3 user with access to some accounts")
    user.add_argument("--login", required=True)
    user.add_argument("--pass", "--password", dest="password", required=True)
    user.add_argument("--customer-id", action="append", default=[], help="repeat for several accounts")
    user.add_argument("--language", default=domain.DEFAULT_LANGUAGE, help="profile language (de, en, fr, es, cn)")
    kit.add_db_flags(user)
    user.set_defaults(func=lambda a: _run(lambda: create_user(
        kit.open_services(a), login=a.login, password=a.password, customer_ids=a.customer_id, language=a.language)))

    track = sub.add_parser("add-track-id", help="another Track ID recording into an account")
    track.add_argument("--customer-id", required=True)
    track.add_argument("--track-id", help="digits; a random 15-digit id when omitted")
    kit.add_db_flags(track)
    track.set_defaults(func=lambda a: _run(lambda: add_track_id(
        kit.open_services(a), customer_id=a.customer_id, track_id=a.track_id)))

    grant_parser = sub.add_parser("grant", help="give a Q3 user access to accounts")
    grant_parser.add_argument("--login", required=True)
    grant_parser.add_argument("--customer-id", action="append", required=True, help="repeat for several accounts")
    kit.add_db_flags(grant_parser)
    grant_parser.set_defaults(func=lambda a: _run(lambda: grant(kit.open_services(a), login=a.login, customer_ids=a.customer_id)))


def _register_data_cli(root, kit: CliKit) -> None:
    """`polytrack mapp import FILE`."""
    mapp = root.add_parser("mapp", help="Mapp data: import hit logs")
    sub = mapp.add_subparsers(dest="mapp_data_command", required=True)
    imp = sub.add_parser("import", help="import hits: TIMESTAMP<TAB>pixel query string per line (see docs/mapp.md)")
    imp.add_argument("file")
    imp.add_argument("--track-id", help="Track ID of lines that hold a bare query string")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    kit.add_db_flags(imp)

    def run_import(args) -> int:
        try:
            report = importer.import_file(kit.open_services(args), args.file, track_id=args.track_id,
                                          show_progress=not args.quiet)
        except importer.ImportFailed as exc:
            raise CliError(str(exc)) from exc
        print(json.dumps(report.as_dict(), indent=2))
        return 0 if report.stored or not report.rejected else 1

    imp.set_defaults(func=run_import)


def _run(action) -> int:
    try:
        result = action()
    except ProvisioningError as exc:
        raise CliError(exc.message) from exc
    print(json.dumps(result, indent=2))
    return 0

