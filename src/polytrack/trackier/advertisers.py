"""Network API: advertisers (spec 2.1). Network keys only.

GET handlers only read, on the hot connection (`call.hot`); POST writes in `call.conn`.
"""

from __future__ import annotations

from polytrack.trackier import domain
from polytrack.trackier.shapes import user_json, user_object
from polytrack.trackier.wire import ROUTES, Call, JsonText

USER_TYPE = "advertiser"


@ROUTES.endpoint("GET", "/advertiser", cacheable=True)
def list_advertisers(call: Call) -> dict:
    # No pagination is documented: everything by default, `limit`/`page` honoured when given.
    limit, page = call.paging(default_limit=None)
    rows = domain.list_users(call.hot, call.network, user_type=USER_TYPE, limit=limit, page=page)
    # The docs' example has no `success`; the spec recommends always sending it (1.5).
    # {"success": true, "data": {"advertisers": [<User>...]}}, from memoised User texts
    users = ",".join([user_json(row, call.network) for row in rows])
    return JsonText('{"success":true,"data":{"advertisers":[' + users + "]}}")


@ROUTES.endpoint("POST", "/advertiser")
def create_advertiser(call: Call) -> dict:
    row = domain.create_user(call.conn, call.services.clock, call.network, user_type=USER_TYPE, data=call.body)
    return {"success": True, "data": {"user": user_object(row, call.network), "message": "Advertiser Added!!"}}


@ROUTES.endpoint("GET", "/advertiser/{id}", cacheable=True)
def get_advertiser(call: Call) -> dict:
    row = domain.find_user(call.hot, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    # {"success": true, "data": {"advertiser": <User>}}
    return JsonText('{"success":true,"data":{"advertiser":' + user_json(row, call.network) + "}}")
