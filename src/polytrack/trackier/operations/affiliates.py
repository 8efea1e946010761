"""Network API: affiliates, Trackier's publishers (network keys). Stored as trackier_users of
type "publisher", by the same domain functions as advertisers."""

from __future__ import annotations

from polytrack.kernel.render import Raw
from polytrack.trackier import domain, reports
from polytrack.trackier.operations.base import TrackierCall, operation
from polytrack.trackier.schema import PAGING, PERIOD, STRING, array, envelope, message_only
from polytrack.trackier.domain import NEW_USER_BODY, USER_EDIT_BODY
from polytrack.trackier.shapes import USER, user_answer, user_object, users_answer

USER_TYPE = "publisher"


@operation("POST", "/affiliate", writes=True, body=NEW_USER_BODY, answer=envelope({"user": USER, "message": STRING}))
def create_affiliate(call: TrackierCall) -> dict:
    row = domain.create_user(call.db, call.services.clock, call.network, user_type=USER_TYPE, data=call.body)
    return {"success": True, "data": {"user": user_object(row, call.network), "message": "Publisher Added!!"}}


@operation("POST", "/affiliate/{id}", writes=True, body=USER_EDIT_BODY,
           answer=envelope({"affiliate": USER, "message": STRING}))
def edit_affiliate(call: TrackierCall) -> dict:
    # edit: a partial update, by POST; the answer's key is `affiliate` (not `user`, as advertisers)
    row = domain.edit_user(call.db, call.services.clock, call.network, user_type=USER_TYPE,
                           ident=call.path_params["id"], data=call.body)
    return {"success": True, "data": {"affiliate": user_object(row, call.network), "message": "Affiliate Updated!!"}}


@operation("GET", "/affiliate", cacheable=True, query=PAGING, answer=envelope({"affiliates": array(USER)}))
def list_affiliates(call: TrackierCall) -> Raw:
    # as GET /advertiser: everything by default, `limit`/`page` honoured when given
    limit, page = call.paging(default_limit=None)
    rows = domain.list_users(call.db, call.network, user_type=USER_TYPE, limit=limit, page=page)
    return users_answer("affiliates", rows, call.network)


@operation("GET", "/affiliate/{id}", cacheable=True, answer=envelope({"affiliate": USER}))
def get_affiliate(call: TrackierCall) -> Raw:
    row = domain.find_user(call.db, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    return user_answer("affiliate", row, call.network)


@operation("DELETE", "/affiliate/{id}", writes=True, answer=message_only())
def delete_affiliate(call: TrackierCall) -> dict:
    domain.delete_user(call.db, call.services.clock, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    return {"success": True, "data": {"message": "Affiliate Deleted!!"}}


# date-wise earnings; the docs' own example calls the plural path
@operation("GET", "/affiliate/earning/{id}", aliases=("/affiliates/earning/{id}",), query=PERIOD,
           answer=envelope({"user": USER, **reports.stats_schema(revenue=False)}))
def affiliate_earnings(call: TrackierCall) -> dict:
    # no revenue (the affiliate's side), countries capped at the top 10 plus "rest", as the docs show
    row = domain.find_user(call.db, call.network, user_type=USER_TYPE, ident=call.path_params["id"])
    period = reports.date_range(call.query, call.network, call.services.clock.timestamp(), default_days=7)
    days, total = reports.stats(call.db, call.network, period, reports.Filters(publishers=(row.id,)),
                                revenue=False, country_top=10)
    return {"success": True, "data": {"user": user_object(row, call.network), "stats": days, "total": total}}
