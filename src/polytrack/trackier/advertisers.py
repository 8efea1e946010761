"""Network API: advertisers (spec 2.1). Network keys only.

GET handlers only read, on the hot connection (`call.hot`); POST writes in `call.conn`.
"""

from __future__ import annotations

from polytrack.trackier import domain
from polytrack.trackier.shapes import user_object
from polytrack.trackier.wire import ROUTES, Call

USER_TYPE = "advertiser"


@ROUTES.endpoint("GET", "/advertiser")
def list_advertisers(call: Call) -> dict:
    # No pagination is documented: everything by default, `limit`/`page` honoured when given.
    limit, page = call.paging(default_limit=None)
    rows = domain.list_users(call.hot, call.network, user_type=USER_TYPE, limit=limit, page=page)
    # The docs' example has no `success`; the spec recommends always sending it (1.5).
    return {"success": True, "data": {"advertisers": [user_object(row, call.network) for row in rows]}}


@ROUTES.endpoint("POST", "/advertiser")
def create_advertiser(call: Call) -> dict:
    row = domain.create_user(call.conn, call.services.clock, call.network, user_type=USER_TYPE, data=call.body)
    return {"success": True, "data": {"user": user_object(row, call.network), "message": "Advertiser Added!!"}}


@ROUTES.endpoint("GET", "/advertiser/{id}")
def get_advertiser(call: Call) -> dict:
    row = domain.find_user(call.hot, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    return {"success": True, "data": {"advertiser": user_object(row, call.network)}}
