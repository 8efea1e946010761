"""PAYT v2 (/api2.ashx) and TrackerPro Admin (/trackerpro_admin.ashx) on the wire.

Parses the request (ASP.NET rules: case-insensitive names, query string wins over the form),
authenticates (ticket / XAuthorization header, or the admin `key`), rate-limits, logs the call,
dispatches on op/subop to `domain`, and renders the Google-Visualization-like envelope, plain
JSON or JSONP. Every failure is an HTTP 200 error envelope with the vendor's reason codes.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Callable

from starlette.requests import Request
from starlette.routing import Route

from polytrack.kernel.coherence import CoherentCache
from polytrack.kernel.dates import dotnet_roundtrip, epoch_ms
from polytrack.kernel.params import BadRequestBody, Params, parse_query, read_form_pairs
from polytrack.kernel.render import JS_TYPE, JSON_TYPE, Raw, TextResponse, to_json, valid_callback
from polytrack.kernel.routing import CaseInsensitiveRoute
from polytrack.payt import domain
from polytrack.payt.domain import PaytError

log = logging.getLogger("polytrack.payt")

VERSION = "0.6"
DEFAULT_CALLS_PER_MINUTE = 600
LOGIN_ATTEMPTS_PER_MINUTE = 30


# --- envelope ---------------------------------------------------------------------------------

def _crc_sig(payload_json: str) -> str:
    value = zlib.crc32(payload_json.encode())
    return str(value - (1 << 32) if value >= (1 << 31) else value)


def signature(payload) -> str:
    """Google's `sig`: a signed 32-bit hash of the payload, as a decimal string (spec U-5)."""
    return _crc_sig(to_json(payload))


def ok_envelope(req_id: str | None, key: str, payload, *, sig: str | None = None) -> dict:
    return {
        "version": VERSION,
        "reqId": req_id if req_id is not None else "0",
        "status": "ok",
        "sig": signature(payload) if sig is None else sig,
        key: payload,
    }


def ok_envelope_json(req_id: str | None, key: str, payload, *, sig: str | None = None) -> str:
    """`to_json(ok_envelope(...))`, serialising the payload once: its text is both the hashed
    input of `sig` and the envelope's last member (compact JSON nests by concatenation). A
    `Raw` payload is JSON rendered already (see `dataset`)."""
    payload_json = payload.text if isinstance(payload, Raw) else to_json(payload)
    if sig is None:
        sig = _crc_sig(payload_json)
    return "".join((
        '{"version":"', VERSION, '","reqId":', _json_string(req_id if req_id is not None else "0"),
        ',"status":"ok","sig":', _json_string(sig), ",", _json_string(key), ":", payload_json, "}",
    ))


# A str as to_json writes it (json.dumps(..., ensure_ascii=False) calls this very function).
_json_string = encode_basestring


def error_envelope(req_id: str | None, reason: str, message: str) -> dict:
    envelope: dict = {"version": VERSION}
    if req_id is not None:
        envelope["reqId"] = req_id
    envelope["status"] = "error"
    envelope["errors"] = [{"reason": reason, "message": message}]
    return envelope


# --- datasets ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    label: str
    type: str  # number | string | datetime | boolean
    autoincrement: bool = False


class TableSchema:
    """One dataset table's name, key and columns, with their rendering done once (when the
    operation modules define their schemas), so a request renders only its rows."""

    __slots__ = ("tablename", "primarykey", "columns", "labels", "cols_json", "p_json", "date_indexes")

    def __init__(self, tablename: str, primarykey: list[int], columns: tuple[Column, ...]):
        self.tablename = tablename
        self.primarykey = list(primarykey)
        self.columns = tuple(columns)
        self.labels = tuple(c.label for c in self.columns)
        self.cols_json = to_json([
            {"id": str(i), "label": c.label, "type": c.type, "p": {"autoincrement": True} if c.autoincrement else {}}
            for i, c in enumerate(self.columns)
        ])
        self.p_json = to_json({"tablename": tablename, "primarykey": self.primarykey})
        self.date_indexes = tuple(i for i, c in enumerate(self.columns) if c.type == "datetime")


@dataclass
class DataTable:
    schema: TableSchema
    rows: list[list] = field(default_factory=list)  # cells in the schema's column order


class DateFormat:
    """Cells of datetime columns: `new Date(ms)` unquoted by default, .NET "o" text with dtm=o.

    Cells may hold an aware datetime or integer epoch milliseconds (what the tables store).
    `quoted` is the server-side switch of spec U-3 for clients that need strict JSON.
    """

    def __init__(self, dtm: str | None, *, quoted: bool = False):
        self.iso = (dtm or "").strip().lower() == "o"
        self.quoted = quoted
        # the default: epoch milliseconds written as the bare JavaScript `new Date(ms)`
        self.bare_ms = not self.iso and not quoted

    def __call__(self, value: datetime | int | None):
        if value is None:
            return None
        if self.iso:
            if not isinstance(value, datetime):
                value = datetime.fromtimestamp(value / 1000.0, timezone.utc)
            return dotnet_roundtrip(value)
        ms = value if isinstance(value, int) else epoch_ms(value)
        text = f"new Date({ms})"
        return text if self.quoted else Raw(text)

    def json_text(self, value: datetime | int | None) -> str:
        """The cell as it appears in the JSON output."""
        cell = self(value)
        if cell is None:
            return "null"
        return cell.text if isinstance(cell, Raw) else _json_string(cell)


# Rows are most of a dataset's JSON, and json.dumps is slow on its many one-member cell objects
# ({"v": ...}, ~0.3 µs each). So the cells of a table are encoded in one call as plain lists with
# NUL as the item separator (JSON escapes NUL inside strings as \u0000, so in the output a NUL
# can only be a separator), and the text is then cut at the NULs and wrapped: the same bytes
# json.dumps would write for the cell objects, at a third of the cost.
_SEPARATOR = "\0"
_ROW_SEPARATOR = "]\0["  # between two rows: no cell's text ends with "]" or starts with "["
_encode_cells = json.JSONEncoder(
    separators=(_SEPARATOR, ":"), ensure_ascii=False, check_circular=False,
    default=lambda value: float(value) if isinstance(value, Decimal) else _unencodable(value),
).encode


def _unencodable(value):
    raise TypeError(f"not a JSON cell: {type(value).__name__}")


def rows_json(schema: TableSchema, rows: list[list], dates: DateFormat) -> str:
    """`to_json([{"c": [{"v": cell}, ...]}, ...])` for one table's rows, datetime cells
    rendered by `dates`."""
    if not rows:
        return "[]"
    date_indexes = schema.date_indexes
    try:
        if not date_indexes:
            text = _encode_cells(rows)[2:-2]
            return '[{"c":[{"v":' + text.replace(_ROW_SEPARATOR, '}]},{"c":[{"v":').replace(_SEPARATOR, '},{"v":') + "}]}]"
        if dates.bare_ms and all(type(cells[i]) is int or cells[i] is None for cells in rows for i in date_indexes):
            # The common case: `new Date(ms)` is the encoded number with a prefix and a suffix.
            rendered = []
            for row_text in _encode_cells(rows)[2:-2].split(_ROW_SEPARATOR):
                parts = row_text.split(_SEPARATOR)
                for i in date_indexes:
                    if parts[i] != "null":
                        parts[i] = "new Date(" + parts[i] + ")"
                rendered.append('{"c":[{"v":' + '},{"v":'.join(parts) + "}]}")
            return "[" + ",".join(rendered) + "]"
        # Otherwise datetime cells go through the encoder as null and are put in afterwards.
        plain, dated = [], []
        for cells in rows:
            dated.append([dates.json_text(cells[i]) for i in date_indexes])
            cells = list(cells)
            for i in date_indexes:
                cells[i] = None
            plain.append(cells)
        text = _encode_cells(plain)[2:-2]
    except TypeError:  # a cell only to_json can write (a Raw fragment): the general way
        return to_json([{"c": [{"v": dates(v) if i in date_indexes else v} for i, v in enumerate(cells)]} for cells in rows])
    rendered = []
    for row_text, date_texts in zip(text.split(_ROW_SEPARATOR), dated):
        parts = row_text.split(_SEPARATOR)
        for i, cell_text in zip(date_indexes, date_texts):
            parts[i] = cell_text
        rendered.append('{"c":[{"v":' + '},{"v":'.join(parts) + "}]}")
    return "[" + ",".join(rendered) + "]"


def dataset(name: str, tables: list[DataTable], dates: DateFormat) -> Raw:
    """The dataset as JSON text (a `Raw` payload: rendered once, see `ok_envelope_json`); each
    table's columns and key were rendered when its schema was defined, so only rows are new."""
    rendered = [
        f'{{"cols":{table.schema.cols_json},"rows":{rows_json(table.schema, table.rows, dates)},"p":{table.schema.p_json}}}'
        for table in tables
    ]
    return Raw(f'{{"datasetname":{_json_string(name)},"tables":[{",".join(rendered)}]}}')


# --- request context and dispatch -------------------------------------------------------------

@dataclass(frozen=True)
class WireConfig:
    """The settings the wire uses, read once when the routes are built (a server's settings do
    not change while it runs), so no call parses them again; and the wire's read caches."""

    calls_per_minute: int
    ticket_idle_seconds: float
    dates: DateFormat  # datetime cells by default: `new Date(ms)`
    iso_dates: DateFormat  # with dtm=o
    tickets: CoherentCache  # ticket -> (caller, ...): see TokenStore.resolve_joined
    admin_keys: CoherentCache  # admin key -> Integrator
    results: CoherentCache  # cacheable operations' results, see `_cached_result`

    @classmethod
    def from_services(cls, services) -> "WireConfig":
        settings = services.settings
        quoted = settings.api_setting("payt.quote_dates", False)
        return cls(
            calls_per_minute=settings.api_setting("payt.calls_per_minute", DEFAULT_CALLS_PER_MINUTE),
            ticket_idle_seconds=settings.api_setting("payt.ticket_idle_seconds", domain.TICKET_IDLE_SECONDS),
            dates=DateFormat(None, quoted=quoted),
            iso_dates=DateFormat("o", quoted=quoted),
            tickets=services.read_cache(),
            admin_keys=services.read_cache(),
            results=services.read_cache(follows_collected=True),  # vehicle lists hold last positions
        )

    def dates_for(self, dtm: str | None) -> DateFormat:
        return self.iso_dates if dtm is not None and dtm.strip().lower() == "o" else self.dates


@dataclass(slots=True)
class Call:
    """One request as the operations see it. `conn` is the hot connection (services.hot) for a
    read-only operation, else a SQLAlchemy connection in the operation's own transaction; the
    RawStatements of domain and ops run on either."""

    services: object
    config: WireConfig
    conn: object
    params: Params
    dates: DateFormat
    caller: domain.Caller | None = None
    integrator: domain.Integrator | None = None
    ticket: str | None = None

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value.strip() == "":
            raise domain.invalid_query(f"Missing parameter: {name}")
        return value.strip()

    def require_int(self, name: str) -> int:
        value = self.require(name)
        try:
            return int(value)
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be an integer") from None

    def int_list(self, name: str, *, required: bool = True) -> list[int] | None:
        """A comma-separated id list (`1,2,3`; PHP-style repeats also accepted). `0` anywhere
        means "all" and yields None, as does an absent optional parameter."""
        raw = self.params.get_list(name, split_commas=True)
        if not raw:
            if required:
                raise domain.invalid_query(f"Missing parameter: {name}")
            return None
        try:
            ids = [int(part) for part in raw]
        except ValueError:
            raise domain.invalid_query(f"Invalid parameter: {name} must be a comma-separated list of integers") from None
        return None if 0 in ids else sorted(set(ids))


@dataclass(frozen=True)
class Result:
    key: str  # ticketid | value | dataset
    payload: object
    sig: str | None = None  # None = computed from the payload


# (op, subop) lower-case -> handler(call) -> Result. Handlers for the PAYT API need a ticket;
# TrackerPro handlers need an admin key. Other modules add entries with `payt_op`/`trackerpro_op`.
PAYT_OPS: dict[tuple[str, str], Callable[[Call], Result]] = {}
TRACKERPRO_OPS: dict[tuple[str, str], Callable[[Call], Result]] = {}
PUBLIC_PAYT_OPS = {("authenticate", "login")}


def _registrar(registry: dict, op: str, subop: str, read_only: bool, cacheable: bool):
    def register(handler):
        # read_only: the handler only reads, with RawStatements, so it runs on the hot
        # connection without a transaction of its own (every statement sees the latest
        # committed data). Others run in their own engine.begin() transaction.
        # cacheable: a read-only handler whose result depends only on the stored data, the
        # caller and the parameters (not on the clock): the wire keeps it until a commit.
        handler.read_only = read_only or cacheable
        handler.cacheable = cacheable
        registry[(op.lower(), subop.lower())] = handler
        return handler
    return register


def payt_op(op: str, subop: str, *, read_only: bool = False, cacheable: bool = False):
    return _registrar(PAYT_OPS, op, subop, read_only, cacheable)


def trackerpro_op(op: str, subop: str, *, read_only: bool = False, cacheable: bool = False):
    return _registrar(TRACKERPRO_OPS, op, subop, read_only, cacheable)


@payt_op("Authenticate", "Login")
def _login(call: Call) -> Result:
    username = call.require("username")
    password = call.params.get("password")
    if password is None or password == "":
        raise domain.invalid_query("Missing parameter: password")
    # Counted on the hot connection, committed at once, before the login's own transaction
    # writes anything: failed attempts count (brute-force guard).
    decision = call.services.limiter.hit(
        call.services.hot, f"payt:login:{username.lower()}", limit=LOGIN_ATTEMPTS_PER_MINUTE, period=60
    )
    if not decision.allowed:
        raise PaytError("access_denied", "Call rate limit exceeded")
    ticket = domain.login(
        call.conn, call.services.tokens, username=username, password=password,
        idle_seconds=call.config.ticket_idle_seconds,
    )
    return Result("ticketid", ticket)


@payt_op("Authenticate", "Logout")
def _logout(call: Call) -> Result:
    domain.logout(call.conn, call.services.tokens, call.ticket or "")
    return Result("value", "")


@trackerpro_op("Admin", "Register")
def _register(call: Call) -> Result:
    company, email = call.require("company"), call.require("email")
    password = call.require("password")
    ssid = domain.register(
        call.conn, call.services.clock, call.services.tokens, call.integrator,
        company=company, email=email, password=password,
    )
    return Result("value", ssid, sig="")


def _ticket_from(request: Request, params: Params) -> str | None:
    ticket = params.get("ticket")
    if ticket:
        return ticket
    header = request.headers.get("xauthorization", "").strip()
    if header.lower().startswith("bearer "):
        header = header[7:].strip()
    return header or None


async def _read_params(request: Request) -> Params:
    """`kernel.params.read_params(request, body_wins=False)` (ASP.NET: query first), but with the
    query string taken from the ASGI scope rather than from `request.url`, whose construction
    costs more than the rest of the parsing. Same text as `request.url.query` (UTF-8; urlsplit
    drops tab/CR/LF and cuts at '#'); a query that is not UTF-8 is a bad request, not a 500."""
    try:
        query = request.scope["query_string"].decode()
    except UnicodeDecodeError as exc:
        raise BadRequestBody(str(exc)) from None
    if "\t" in query or "\r" in query or "\n" in query:
        query = query.replace("\t", "").replace("\r", "").replace("\n", "")
    query = query.partition("#")[0]
    return Params(parse_query(query) + await read_form_pairs(request), last_wins=False)


def _respond(body: str, callback: str | None) -> TextResponse:
    """JSON, or JSONP `callback(json);` (the callback name is validated before)."""
    if callback:
        return TextResponse(f"{callback}({body});", JS_TYPE)
    return TextResponse(body, JSON_TYPE)


async def _handle(request: Request, services, config: WireConfig, *, trackerpro: bool) -> TextResponse:
    api_name = "trackerpro" if trackerpro else "payt"
    try:
        params = await _read_params(request)
    except BadRequestBody:
        return _respond(to_json(error_envelope(None, "invalid_request", "Invalid request")), None)
    req_id = params.get("reqId")
    callback = params.get("callback")
    if callback is not None and not valid_callback(callback):
        return _respond(to_json(error_envelope(req_id, "invalid_request", "Invalid callback name")), None)
    op, subop = (params.get("op") or "").strip(), (params.get("subop") or "").strip()
    with services.calllog.timed(api=api_name, operation=f"{op}/{subop}") as logged:
        try:
            if not op or not subop:
                raise PaytError("invalid_request", "Missing parameter: op and subop are required")
            call = Call(services, config, None, params, config.dates_for(params.get("dtm")))
            handler = _authenticate(request, call, op, subop, trackerpro, logged)
            if getattr(handler, "chargeable", False):
                _ops_common.charge(call)
            if getattr(handler, "cacheable", False):
                call.conn = services.hot
                result = _cached_result(handler, call, trackerpro)
            elif getattr(handler, "read_only", False):
                call.conn = services.hot
                result = handler(call)
            else:
                # Its own transaction, after the rate-limit hit was committed: a failing
                # operation must not undo the hit.
                with services.engine.begin() as conn:
                    call.conn = conn
                    result = handler(call)
            body = ok_envelope_json(req_id, result.key, result.payload, sig=result.sig)
        except PaytError as exc:
            logged.outcome = exc.reason
            body = to_json(error_envelope(req_id, exc.reason, exc.message))
        except Exception:
            log.exception("%s %s/%s failed", api_name, op, subop)
            logged.outcome = "internal_error"
            body = to_json(error_envelope(req_id, "internal_error", "Internal error"))
    return _respond(body, callback)


# Parameters that do not change an operation's result: the envelope's own, the credentials
# (the cache key holds who the caller is instead) and the operation (the key holds the handler).
_NOT_IN_CACHE_KEY = frozenset(("reqid", "callback", "ticket", "key", "op", "subop"))


def _cached_result(handler, call: Call, trackerpro: bool) -> Result:
    """The handler's result, from the read cache when the same caller asked the same question
    since the last commit. Keyed by caller, handler and every other parameter as given."""
    who = call.integrator.admin_key_id if trackerpro else call.caller.user_id
    key = (trackerpro, who, handler, tuple(pair for pair in call.params.pairs if pair[0].lower() not in _NOT_IN_CACHE_KEY))
    def compute() -> Result:
        result = handler(call)
        payload_json = result.payload.text if isinstance(result.payload, Raw) else to_json(result.payload)
        # rendered and signed once, with the result
        return Result(result.key, Raw(payload_json), _crc_sig(payload_json) if result.sig is None else result.sig)
    return call.config.results.get_or_load(key, compute, size=lambda result: len(result.payload.text))


def _authenticate(request: Request, call: Call, op: str, subop: str, trackerpro: bool, logged):
    """Find the caller, check the rate limit and return the operation's handler. All on the hot
    connection: one statement finds the caller, and the rate-limit hit commits on its own
    (mostly it is counted in memory, see kernel.ratelimit)."""
    key = (op.lower(), subop.lower())
    services = call.services
    if not trackerpro and key in PUBLIC_PAYT_OPS:
        return PAYT_OPS[key]
    hot = services.hot
    per_minute = call.config.calls_per_minute
    if trackerpro:
        call.integrator = domain.integrator_for_key(hot, call.params.get("key"), call.config.admin_keys)
        logged.account = call.integrator.name
        handler = TRACKERPRO_OPS.get(key)
        limit_key = f"payt:adminkey:{call.integrator.admin_key_id}"
    else:
        call.ticket = _ticket_from(request, call.params)
        call.caller = domain.caller_for_ticket(hot, services.tokens, call.ticket, call.config.tickets)
        logged.account = call.caller.email
        handler = PAYT_OPS.get(key)
        limit_key = f"payt:client:{call.caller.client_id}"
        per_minute = call.caller.calls_per_minute or per_minute
    if handler is None:
        raise PaytError("unsupported_query_operation", f"Unsupported operation: {op}/{subop}")
    if not services.limiter.hit(hot, limit_key, limit=per_minute, period=60).allowed:
        raise PaytError("access_denied", "Call rate limit exceeded")
    return handler


def routes(services) -> list:
    config = WireConfig.from_services(services)

    async def payt_endpoint(request: Request) -> TextResponse:
        return await _handle(request, services, config, trackerpro=False)

    async def trackerpro_endpoint(request: Request) -> TextResponse:
        return await _handle(request, services, config, trackerpro=True)

    from polytrack.payt import launch_pages

    return [
        Route("/api2.ashx", payt_endpoint, methods=["GET", "POST"]),
        CaseInsensitiveRoute("/trackerpro_admin.ashx", trackerpro_endpoint, methods=("GET", "POST")),
        *launch_pages.routes(services),
    ]


# The operation modules register their handlers in PAYT_OPS / TRACKERPRO_OPS on import.
from polytrack.payt import ops  # noqa: E402,F401
from polytrack.payt.ops import common as _ops_common  # noqa: E402  (its credit hook, per call)

