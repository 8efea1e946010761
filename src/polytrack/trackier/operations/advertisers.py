"""Network API: advertisers (network keys)."""

from __future__ import annotations

from polytrack.kernel.render import Raw
from polytrack.trackier import domain
from polytrack.trackier.operations.base import TrackierCall, operation
from polytrack.trackier.schema import PAGING, STRING, array, envelope, message_only
from polytrack.trackier.domain import NEW_USER_BODY, USER_EDIT_BODY
from polytrack.trackier.shapes import USER, user_answer, user_object, users_answer

USER_TYPE = "advertiser"


@operation("GET", "/advertiser", cacheable=True, query=PAGING, answer=envelope({"advertisers": array(USER)}))
def list_advertisers(call: TrackierCall) -> Raw:
    # No pagination is documented: everything by default, `limit`/`page` honoured when given.
    limit, page = call.paging(default_limit=None)
    rows = domain.list_users(call.db, call.network, user_type=USER_TYPE, limit=limit, page=page)
    return users_answer("advertisers", rows, call.network)


@operation("POST", "/advertiser", writes=True, body=NEW_USER_BODY, answer=envelope({"user": USER, "message": STRING}))
def create_advertiser(call: TrackierCall) -> dict:
    row = domain.create_user(call.db, call.services.clock, call.network, user_type=USER_TYPE, data=call.body)
    return {"success": True, "data": {"user": user_object(row, call.network), "message": "Advertiser Added!!"}}


@operation("GET", "/advertiser/{id}", cacheable=True, answer=envelope({"advertiser": USER}))
def get_advertiser(call: TrackierCall) -> Raw:
    row = domain.find_user(call.db, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    return user_answer("advertiser", row, call.network)


@operation("POST", "/advertiser/{id}", writes=True, body=USER_EDIT_BODY,
           answer=envelope({"user": USER, "message": STRING}))
def edit_advertiser(call: TrackierCall) -> dict:
    # edit: a partial update, by POST
    row = domain.edit_user(call.db, call.services.clock, call.network, user_type=USER_TYPE,
                           ident=call.path_params["id"], data=call.body)
    return {"success": True, "data": {"user": user_object(row, call.network), "message": "Advertiser Updated!!"}}


@operation("DELETE", "/advertiser/{id}", writes=True, answer=message_only())
def delete_advertiser(call: TrackierCall) -> dict:
    if not domain.delete_user(call.db, call.services.clock, call.network, user_type=USER_TYPE,
                              ident=call.path_params["id"]):
        return {"success": False, "data": {"message": "Advertiser has campaigns: delete them first!!"}}
    return {"success": True, "data": {"message": "Advertiser Deleted!!"}}
