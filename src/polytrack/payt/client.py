"""A small Python client for PAYT v2 and TrackerPro Admin.

    from polytrack.payt.client import PaytClient, TrackerProClient
    payt = PaytClient("http://127.0.0.1:8080")
    payt.login("me@example.com", "secret")
    for vehicle in payt.vehicles().rows:
        print(vehicle["Registration"], vehicle["LastPositionDateTime"], vehicle["Latitude"])

Requests are POSTed as forms (the vendor's recommendation). Responses are parsed including the
unquoted `new Date(ms)` literals of the default date format, which become aware UTC datetimes
(as do `dtm=o` strings in datetime columns). Error envelopes raise PaytApiError(reason, message).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import httpx

_DATE_MARK = "\u0000date"
# JSON strings are matched first so a `new Date(` inside a string value is left alone.
_DATE_LITERAL = re.compile(r'("(?:[^"\\]|\\.)*")|new Date\((-?\d+)\)')
_JSONP = re.compile(r"^\s*[A-Za-z_$][0-9A-Za-z_$.]*\((.*)\);?\s*$", re.S)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


class PaytApiError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, timezone.utc)


def _from_iso(text: str) -> datetime:
    whole, _, fraction = text.partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return moment


def parse_body(text: str) -> dict:
    """The envelope of a PAYT/TrackerPro response (JSON, JSONP, with or without Date literals)."""
    wrapped = _JSONP.match(text)
    if wrapped and not text.lstrip().startswith("{"):
        text = wrapped.group(1)

    def replace(match):
        if match.group(1) is not None:
            return match.group(1)
        return json.dumps({_DATE_MARK: int(match.group(2))})

    def hook(obj: dict):
        if len(obj) == 1 and _DATE_MARK in obj:
            return _from_ms(obj[_DATE_MARK])
        return obj

    return json.loads(_DATE_LITERAL.sub(replace, text), object_hook=hook)


@dataclass
class Table:
    name: str
    primarykey: list[int]
    columns: list[dict]
    rows: list[dict] = field(default_factory=list)  # one dict per row, keyed by column label

    @property
    def labels(self) -> list[str]:
        return [c["label"] for c in self.columns]


@dataclass
class Dataset:
    name: str
    tables: list[Table]

    def table(self, name: str) -> Table:
        for tbl in self.tables:
            if tbl.name == name:
                return tbl
        raise KeyError(name)


def parse_dataset(payload: dict) -> Dataset:
    tables = []
    for raw in payload["tables"]:
        labels = [c["label"] for c in raw["cols"]]
        date_labels = {c["label"] for c in raw["cols"] if c["type"] == "datetime"}
        rows = []
        for raw_row in raw["rows"]:
            row = dict(zip(labels, (cell.get("v") for cell in raw_row["c"])))
            for label in date_labels:
                value = row.get(label)
                if isinstance(value, str) and _ISO.match(value):
                    row[label] = _from_iso(value)
            rows.append(row)
        p = raw.get("p", {})
        tables.append(Table(p.get("tablename", ""), p.get("primarykey", []), raw["cols"], rows))
    return Dataset(payload["datasetname"], tables)


def _ids(values) -> str:
    if values is None or values == 0:
        return "0"
    if isinstance(values, (int, str)):
        return str(values)
    return ",".join(str(int(v)) for v in values) or "0"


def _yyyymmdd(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y%m%d")
    return str(value)


def _epoch_ms(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return str(int(round(value.timestamp() * 1000)))
    return str(int(value))


class _Base:
    path = ""

    def __init__(self, base_url: str = "http://127.0.0.1:8080", *, http: httpx.Client | None = None,
                 dtm: str | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=timeout)
        self.dtm = dtm

    def _post(self, params: dict) -> dict:
        params = {k: v for k, v in params.items() if v is not None}
        if self.dtm:
            params.setdefault("dtm", self.dtm)
        response = self.http.post(self.base_url + self.path, data=params)
        response.raise_for_status()
        body = parse_body(response.text)
        if body.get("status") != "ok":
            error = (body.get("errors") or [{}])[0]
            raise PaytApiError(error.get("reason", "unknown"), error.get("message", ""))
        return body

    def _dataset(self, params: dict) -> Dataset:
        return parse_dataset(self._post(params)["dataset"])


class PaytClient(_Base):
    """PAYT API v2 (/api2.ashx): Login once, then every call carries the ticket."""

    path = "/api2.ashx"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket: str | None = None

    def call(self, op: str, subop: str, **params) -> dict:
        """Any operation; returns the whole envelope."""
        return self._post({"op": op, "subop": subop, "ticket": self.ticket, **params})

    def login(self, username: str, password: str, clientname: str = "") -> str:
        body = self._post({"op": "Authenticate", "subop": "Login", "clientname": clientname,
                           "username": username, "password": password})
        self.ticket = body["ticketid"]
        return self.ticket

    def logout(self) -> None:
        self.call("Authenticate", "Logout")
        self.ticket = None

    def groups(self, group_type_id: int) -> Table:
        return self._dataset({"op": "Group", "subop": "GetByTypeID", "ticket": self.ticket,
                              "groupTypeID": group_type_id}).tables[0]

    def vehicles(self) -> Table:
        return self._dataset({"op": "Vehicle", "subop": "GetAllVehiclesFilteredByUserID", "ticket": self.ticket}).tables[0]

    def detailed(self, start, end, *, vehicle_ids=0, group_ids=0, level: int = 0, event_ids=None) -> Table:
        """Report/Detailed; start/end are dates (or YYYYMMDD), end exclusive; 0 = all ids."""
        return self._dataset({
            "op": "Report", "subop": "Detailed", "ticket": self.ticket, "startDate": _yyyymmdd(start),
            "endDate": _yyyymmdd(end), "vehicleIDs": _ids(vehicle_ids), "groupIDs": _ids(group_ids),
            "levelOfDetail": str(level), "eventIDs": None if event_ids is None else _ids(event_ids),
        }).tables[0]

    def historic(self, start, end, *, vehicle_ids=0, group_ids=0, event_ids=None) -> Dataset:
        return self._dataset({
            "op": "Report", "subop": "Historic", "ticket": self.ticket, "startDate": _yyyymmdd(start),
            "endDate": _yyyymmdd(end), "vehicleIDs": _ids(vehicle_ids), "groupIDs": _ids(group_ids),
            "eventIDs": None if event_ids is None else _ids(event_ids),
        })


class TrackerProClient(_Base):
    """TrackerPro Admin API (/trackerpro_admin.ashx): every call carries the admin key."""

    path = "/trackerpro_admin.ashx"

    def __init__(self, base_url: str = "http://127.0.0.1:8080", key: str = "", *, view_path: str = "/view/", **kwargs):
        super().__init__(base_url, **kwargs)
        self.key = key
        self.view_path = view_path  # the server's payt.view_path setting

    def call(self, op: str, subop: str, **params) -> dict:
        return self._post({"key": self.key, "op": op, "subop": subop, **params})

    def register(self, company: str, email: str, password: str) -> str:
        return self.call("Admin", "Register", company=company, email=email, password=password)["value"]

    def launch(self, ssid: str) -> str:
        return self.call("Admin", "Launch", ssid=ssid)["value"]

    def launch_url(self, token: str, ui: str = "portal") -> str:
        """portal (legacy UI), view, or embed (the IFRAME variant of view)."""
        if ui == "portal":
            return f"{self.base_url}/?authtoken={token}"
        return f"{self.base_url}{self.view_path}?authtoken={token}" + ("&embed=1" if ui == "embed" else "")

    def tasks_by_date(self, company: str, from_date, to_date) -> Table:
        return self._dataset({"key": self.key, "op": "Task", "subop": "GetTasksByDate", "company": company,
                              "fromDate": _epoch_ms(from_date), "toDate": _epoch_ms(to_date)}).tables[0]

    def vehicles_for_client(self, company: str) -> Table:
        return self._dataset({"key": self.key, "op": "Vehicle", "subop": "GetAllVehiclesForClientID",
                              "company": company}).tables[0]
