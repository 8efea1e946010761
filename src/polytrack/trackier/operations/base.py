"""Trackier's operation registry, the call its handlers get, and what every operation checks.

An operation is one method on one path template, named as Trackier's docs name it
("GET /advertiser/{id}"), and declared with `operation(...)` (a handler) or `planned(...)`
(not implemented yet) below, which put on the registry:
* `roles`: the key roles that may call it: network keys the Network API, an advertiser's or
  an affiliate's own key the self-service APIs; any other role gets 403 / code 5
  (`require_role`, a `before` hook);
* `template` and `aliases`: the paths it answers at (routing.py), the aliases being older or
  misspelt paths clients still call;
* `query`, `body` and `answer`: the query parameters it reads, the fields of the body it reads
  and its answer, as schemas (schema.py), which openapi.py turns into the OpenAPI document.

A planned operation answers as though it were not declared: 405 when its path has implemented
methods, else the unknown-URI 501 (the wire does that when the runner raises NotImplementedYet).

The per-key rate limit (`per_key_limit`) is counted by the wire before the route is resolved,
so unknown paths count too; the registry therefore has no limit of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Hashable, Iterable

from polytrack.kernel.operations import Call, Limit, Operation, Registry
from polytrack.kernel.params import Params, parse_query
from polytrack.trackier import errors
from polytrack.trackier.domain import ApiKey, Network
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.schema import Param

if TYPE_CHECKING:
    from polytrack.services import Services

registry = Registry("trackier")

NETWORK = ("network",)
ADVERTISER = ("advertiser",)
AFFILIATE = ("affiliate",)

MAX_LIMIT = 1000  # the only documented maximum (click logs); applied to every list


@lru_cache(maxsize=4096)  # made once per key, not on every call
def per_key_limit(key_id: int, calls_per_minute: int) -> tuple[Limit]:
    """The window every call of a key (by its id) counts against."""
    return (Limit(f"trackier:key:{key_id}", calls_per_minute, 60),)


class TrackierCall(Call):
    """One request as a handler sees it: the key (and its network), the path's ids, the query
    string and the body. `db` (set by the runner) is the held connection for a read, one
    transaction for an operation declared `writes=True`."""

    __slots__ = ("key", "path_params", "_body", "_query_string", "_query")

    def __init__(self, services: Services, operation: Operation, key: ApiKey, path_params: dict[str, str],
                 query_string: str, body: dict | TrackierError):
        super().__init__(services, operation)
        self.key = key
        self.path_params = path_params
        self._body = body
        self._query_string = query_string
        self._query: Params | None = None

    @property
    def network(self) -> Network:
        return self.key.network

    @property
    def user_id(self) -> int:
        """The id of the advertiser or affiliate whose own key this is (self-service APIs only)."""
        assert self.key.user_id is not None, "a network key has no user"
        return self.key.user_id

    @property
    def body(self) -> dict:
        """The request body as an object (JSON, else form fields). The wire reads it before the
        operation runs; a body it could not read is refused here, when a handler asks for it,
        so that a key without the role still gets its 403 first."""
        if isinstance(self._body, TrackierError):
            raise self._body
        return self._body

    @property
    def query(self) -> Params:
        """The query parameters, PHP-style (the last repeat wins); parsed on first use."""
        if self._query is None:
            self._query = Params(parse_query(self._query_string) if self._query_string else [], last_wins=True)
        return self._query

    def paging(self, *, default_limit: int | None) -> tuple[int | None, int]:
        """`limit` and `page` (1-based) from the query; 400/20 if not positive integers."""
        if not self._query_string:
            return default_limit, 1
        problems: dict[str, list[str]] = {}
        limit = _positive_int(self.query.get("limit"), "limit", problems)
        page = _positive_int(self.query.get("page"), "page", problems)
        if problems:
            raise errors.invalid(problems)
        limit = default_limit if limit is None else min(limit, MAX_LIMIT)
        return limit, page or 1

    def answer_key(self) -> Hashable:
        # The envelope has no parameters of its own, and the key travels in a header or as
        # `apiKey`: a key's query string names its answer (the key id stands for the key).
        return self.key.id, tuple(self.path_params.items()), self._query_string


def _positive_int(raw: str | None, name: str, problems: dict) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        problems[name] = [f"{name.capitalize()} must be a positive integer"]
        return None
    return int(text)


def require_role(call: TrackierCall) -> None:
    """The `before` hook of every operation: the key's role must be one the operation serves."""
    if call.key.role not in call.operation.options["roles"]:
        raise TrackierError(errors.INSUFFICIENT_PERMISSION)


def _options(method: str, template: str, roles: Iterable[str], aliases: Iterable[str],
             after: Callable | None = None, query: Iterable[Param] = (), body: dict | None = None,
             answer: dict | None = None) -> dict:
    return {"method": method, "template": template, "roles": frozenset(roles), "aliases": tuple(aliases),
            "after": after, "query": tuple(query), "body": body, "answer": answer}


def operation(method: str, template: str, *, answer: dict, roles: Iterable[str] = NETWORK, writes: bool = False,
              cacheable: bool = False, aliases: Iterable[str] = (), after: Callable | None = None,
              query: Iterable[Param] = (), body: dict | None = None) -> Callable:
    """Decorator: `handler(call) -> answer` (a dict, or a kernel.render.Raw of JSON text) is the
    operation "METHOD template". `answer`: the schema of its answer (schema.py); `query`: the
    query parameters it reads; `body`: the schema of the body it reads (None: it reads none).
    `writes`: it runs in one transaction. `cacheable`: its answer depends on nothing but the
    stored data, the key and the request, so it may come from the read cache
    (kernel.operations). `after(services)`: work run once the answer is sent (the background
    jobs)."""
    return registry.operation(f"{method} {template}", writes=writes, cacheable=cacheable, before=(require_role,),
                              **_options(method, template, roles, aliases, after, query, body, answer))


def planned(method: str, template: str, *, roles: Iterable[str] = NETWORK, aliases: Iterable[str] = ()) -> None:
    """Declare an operation of the API that has no handler yet (see the module docstring). No
    role check: it answers as an unknown path whatever the key's role."""
    registry.planned(f"{method} {template}", **_options(method, template, roles, aliases))


def report_list(call: TrackierCall, name: str) -> list[str]:
    """A list parameter of a report, in any of its forms: `name[]=a&name[]=b`, repeated `name=`,
    or comma-separated values."""
    return call.query.get_list(name, split_commas=True)
