"""Reading requests, for every API: parameters as the old PHP / ASP.NET back ends saw them,
and JSON bodies.

Every API, the OsmAnd endpoint and the operator API read their input through these functions;
whatever they cannot read raises `BadInput`, which each API answers with its own documented
error (never a 500).

* Names are matched case-insensitively; among several spellings of one name, an exact-case
  match wins, then the first seen.
* PHP-style arrays: `sid[]=a&sid[]=b`, `sid[0]=a&sid[1]=b`, plain repeats `sid=a&sid=b` and a
  scalar `sid=a` all read as a list via `get_list`; whitespace before `[` is ignored.
* Query string and form body are merged; which one wins a clash is the API's choice
  (ASP.NET: query first; PHP `$_REQUEST`: body last).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import orjson
from starlette.requests import ClientDisconnect, Request

_ARRAY_RE = re.compile(r"^\s*(.*?)\s*\[\s*(\d*)\s*\]\s*$")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# Larger bodies are refused before they are read whole (Mapp's importData takes up to 10 000
# rows; 32 MiB leaves room for wide ones and stops memory abuse).
MAX_BODY_BYTES = 32 * 1024 * 1024


class BadInput(ValueError):
    """A body or query string that cannot be read: not UTF-8, not a form, not JSON, nested too
    deep, a lone surrogate, too large."""



class Params:
    def __init__(self, pairs: list[tuple[str, str]], *, last_wins: bool = False):
        self.last_wins = last_wins
        self.pairs = pairs  # as given, in order (a cache key can be made of them)
        # name (lower-case, array suffix removed) -> list of (original name, index, value)
        self._scalars: dict[str, list[tuple[str, str]]] = {}
        self._arrays: dict[str, list[tuple[int, int, str]]] = {}
        for position, (name, value) in enumerate(pairs):
            match = _ARRAY_RE.match(name) if "[" in name else None
            if match:
                base, index = match.group(1), match.group(2)
                order = int(index) if index else 10**9 + position
                self._arrays.setdefault(base.lower(), []).append((order, position, value))
            else:
                self._scalars.setdefault(name.strip().lower(), []).append((name.strip(), value))

    def __contains__(self, name: str) -> bool:
        key = name.lower()
        return key in self._scalars or key in self._arrays

    def names(self) -> list[str]:
        return sorted(set(self._scalars) | set(self._arrays))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The scalar value of `name` (case-insensitive). With several spellings, the exact-case
        spelling wins; with repeats, the first (ASP.NET) or the last (PHP, `last_wins`)."""
        entries = self._scalars.get(name.lower())
        if not entries:
            return default
        if len(entries) == 1:
            return entries[0][1]
        exact = [value for original, value in entries if original == name]
        values = exact or [value for _, value in entries]
        return values[-1] if self.last_wins else values[0]

    def get_list(self, name: str, *, split_commas: bool = False) -> list[str]:
        """Every value given for `name` in any array form, in order."""
        key = name.lower()
        values: list[str] = []
        if key in self._arrays:
            values.extend(value for _, _, value in sorted(self._arrays[key]))
        values.extend(value for _, value in self._scalars.get(key, []))
        if split_commas:
            values = [part.strip() for value in values for part in value.split(",") if part.strip()]
        return values


def parse_query(query: str) -> list[tuple[str, str]]:
    """The pairs `urllib.parse.parse_qsl(query, keep_blank_values=True)` gives (tests compare
    the two), at a quarter of its cost: every API call reads its query string, and names and
    values without `%` or `+` need no decoding."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            if "%" in part or "+" in part:
                name, value = unquote_plus(name), unquote_plus(value)
            pairs.append((name, value))
    return pairs


def picked_headers(scope, names: frozenset[bytes] | tuple[bytes, ...]) -> dict[bytes, str]:
    """The first value of each header of `names` (lower-case bytes) the request has, decoded
    as Latin-1 as Starlette does, in one pass over the raw headers: Starlette's
    `request.headers` builds an object and scans and decodes once per name asked, a good
    part of what a collection endpoint (a click, a pixel hit) costs."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in names and name not in found:
            found[name] = value.decode("latin-1")
    return found


def query_pairs(scope, *, strict: bool = False, like_url: bool = False) -> list[tuple[str, str]]:
    """The query string's pairs, from the ASGI scope (`request.url` would build the whole URL
    and split it again). Bytes that are not UTF-8: `BadInput` when `strict`, else U+FFFD.
    `like_url`: the text `request.url.query` gives (urlsplit drops tab, CR and LF, and cuts at
    '#'), for the APIs whose original servers parsed a URL."""
    raw = scope.get("query_string", b"")
    if not raw:
        return []
    try:
        query = raw.decode("utf-8", "strict" if strict else "replace")
    except UnicodeDecodeError as exc:
        raise BadInput(f"query string is not UTF-8: {exc.reason}") from None
    if like_url:
        if "\t" in query or "\r" in query or "\n" in query:
            query = query.replace("\t", "").replace("\r", "").replace("\n", "")
        query = query.partition("#")[0]
    return parse_query(query)


async def read_body(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, at most `max_bytes` (else BadInput). Read from the ASGI receive channel
    directly: Starlette's `stream()` is an async generator per request, and most bodies come in
    one message. A client gone before the end raises ClientDisconnect (nobody to answer). A
    body already read (by this function or by Starlette) is returned again, not awaited twice."""
    body = getattr(request, "_body", None)
    if body is not None:
        if len(body) > max_bytes:
            raise BadInput("body too large")
        return body
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BadInput("body too large")
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BadInput("body too large")
        if not message.get("more_body", False):
            body = b"".join((*chunks, chunk)) if chunks else chunk
            request._body = body  # what request.body() returns from now on
            return body
        chunks.append(chunk)


def parse_json(raw: bytes | str) -> Any:
    """A JSON document. orjson first (strict JSON, 3-4 times faster); what only Python's json
    reads (a BOM, NaN, integers beyond 64 bits) is read as well. BadInput for bad UTF-8, bad
    JSON, nesting deeper than a parser allows, and strings holding a lone surrogate (`"\\ud800"`:
    no UTF-8 text, database or answer can carry it)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        document = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadInput("not a JSON document") from None
    if _holds_surrogate(document):
        raise BadInput("a string holds a lone surrogate")
    return document


def _holds_surrogate(document: Any) -> bool:
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE_RE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


async def read_json(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The body as a JSON document (whatever the Content-Type says); BadInput if it is none."""
    return parse_json(await read_body(request, max_bytes=max_bytes))


async def read_form_pairs(request: Request) -> list[tuple[str, str]]:
    """The body's form fields, if the body is a form; [] otherwise. Raises BadInput."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = await read_body(request)
        try:
            return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadInput(str(exc)) from exc
    if content_type == "multipart/form-data":
        try:
            form = await request.form()
        except Exception as exc:  # python-multipart raises several types for broken bodies
            raise BadInput(str(exc)) from exc
        return [(k, v if isinstance(v, str) else "") for k, v in form.multi_items()]
    return []


async def read_params(request: Request, *, body_wins: bool) -> Params:
    """Query string and form body merged. `body_wins`: PHP's `$_REQUEST` (body overrides
    query, last repeat wins); otherwise ASP.NET's `Request[...]` (query first, first wins)."""
    return Params(query_pairs(request.scope, like_url=True) + await read_form_pairs(request), last_wins=body_wins)
