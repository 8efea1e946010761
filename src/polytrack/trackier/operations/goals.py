"""Network API: campaign goals (events) and their payouts (network keys)."""

from __future__ import annotations

from polytrack.trackier import campaigns, goals
from polytrack.trackier.fields import as_number
from polytrack.trackier.operations.base import TrackierCall, operation
from polytrack.trackier.schema import (
    INTEGER, NUMBER, OBJECT_ID, PAGING, STRING, array, envelope, message_only, named, nullable, obj,
)
from polytrack.trackier.shapes import GOAL, GOAL_PAYOUT, goal_object, goal_payout_object


LEGACY_PAGE = 20  # GET /goal documents page and limit, no default
LEGACY_AD_PAGE = 50
PAYOUTS = array(GOAL_PAYOUT)
GOAL_PAGE = envelope({"goals": array(GOAL)}, pagination=obj(page=INTEGER, limit=INTEGER, total=INTEGER))
# the deprecated /goals/{campId} forms: the goal with its first payout's money
SIMPLE_GOAL = named("SimpleGoal", obj({
    "_id": OBJECT_ID, "title": STRING, "value": STRING, "type": STRING, "revenue": nullable(NUMBER),
    "payout": nullable(NUMBER), "currency": STRING}))


def _payouts(goal, rows) -> list[dict]:
    return [goal_payout_object(row, goal) for row in rows]


@operation("POST", "/goal", writes=True, body=goals.GOAL_BODY,
           answer=envelope({"goal": GOAL, "payouts": PAYOUTS, "message": STRING}))
def create_goal(call: TrackierCall) -> dict:
    goal, payouts = goals.create_goal(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"goal": goal_object(goal), "payouts": _payouts(goal, payouts),
                                      "message": "Goal Created Successfully!!"}}


@operation("GET", "/goal/campaign/{campaign_id}", cacheable=True, answer=envelope(
    currency=STRING, goals=array(obj(goal=GOAL, payouts=PAYOUTS))))
def campaign_goals(call: TrackierCall) -> dict:
    # no `data` wrapper here, as the docs show
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    rows = goals.list_goals(call.db, campaign)
    payouts = goals.list_payouts(call.db, [row.id for row in rows])
    return {"success": True, "currency": campaign.currency,
            "goals": [{"goal": goal_object(row), "payouts": _payouts(row, payouts[row.id])} for row in rows]}


@operation("GET", "/goal/{goal_id}", cacheable=True, answer=envelope({"goal": GOAL, "payouts": PAYOUTS}))
def get_goal(call: TrackierCall) -> dict:
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    return {"success": True, "data": {"goal": goal_object(goal),
                                      "payouts": _payouts(goal, goals.list_payouts(call.db, [goal.id])[goal.id])}}


@operation("POST", "/goal/{goal_id}", writes=True, body=goals.GOAL_EDIT_BODY,
           answer=envelope({"goal": GOAL, "message": STRING}))
def edit_goal(call: TrackierCall) -> dict:
    goal = goals.edit_goal(call.db, call.network, call.path_params["goal_id"], call.body)
    return {"success": True, "data": {"goal": goal_object(goal, lists=True), "message": "Goal updated Successfully!!"}}


@operation("DELETE", "/goal/{goal_id}", writes=True, answer=message_only())
def delete_goal(call: TrackierCall) -> dict:
    goals.delete_goal(call.db, call.network, call.path_params["goal_id"])
    return {"success": True, "data": {"message": "Goal removed from database!!"}}


@operation("POST", "/goal/payout/{goal_id}", writes=True, body=goals.PAYOUT_BODY, answer=envelope(payouts=PAYOUTS))
def create_goal_payout(call: TrackierCall) -> dict:
    # no `data` wrapper; the new payout alone in the list
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    row = goals.create_payout(call.db, call.services.clock, goal, call.body)
    return {"success": True, "payouts": _payouts(goal, [row])}


@operation("POST", "/goal/payout/{goal_id}/{payout_id}", writes=True, body=goals.PAYOUT_EDIT_BODY,
           answer=envelope({"payout": PAYOUTS, "message": STRING}))
def edit_goal_payout(call: TrackierCall) -> dict:
    # the singular key `payout` holds a list, as the docs show
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    row = goals.edit_payout(call.db, goal, call.path_params["payout_id"], call.body)
    return {"success": True, "data": {"payout": _payouts(goal, [row]), "message": "Payout Updated Successfully!!"}}


@operation("DELETE", "/goal/payout/{goal_id}/{payout_id}", writes=True, answer=message_only())
def delete_goal_payout(call: TrackierCall) -> dict:
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    goals.delete_payout(call.db, goal, call.path_params["payout_id"])
    return {"success": True, "data": {"message": "Payout removed successfully!!"}}


# Legacy: gone from the newest docs, still called by clients written against the older ones.

def _goal_page(call: TrackierCall, rows, total: int, limit: int, page: int) -> dict:
    # `pagination` at the top level, next to `data`
    return {"success": True, "data": {"goals": [goal_object(row) for row in rows]},
            "pagination": {"page": page, "limit": limit, "total": total}}


@operation("GET", "/goal", cacheable=True, query=PAGING, answer=GOAL_PAGE)
def network_goals(call: TrackierCall) -> dict:
    limit, page = call.paging(default_limit=LEGACY_PAGE)
    assert limit is not None
    rows, total = goals.list_network_goals(call.db, call.network, limit=limit, page=page)
    return _goal_page(call, rows, total, limit, page)


@operation("GET", "/goal/ad/{adId}", cacheable=True, query=PAGING, answer=GOAL_PAGE)
def ad_goals(call: TrackierCall) -> dict:
    limit, page = call.paging(default_limit=LEGACY_AD_PAGE)
    assert limit is not None
    rows = goals.list_goals(call.db, campaigns.find_campaign(call.db, call.network, call.path_params["adId"]))
    return _goal_page(call, rows[(page - 1) * limit: page * limit], len(rows), limit, page)


@operation("GET", "/goal/payout/{goalId}", cacheable=True, answer=envelope({"payouts": PAYOUTS}))
def goal_payouts(call: TrackierCall) -> dict:
    goal = goals.find_goal(call.db, call.network, call.path_params["goalId"])
    return {"success": True, "data": {"payouts": _payouts(goal, goals.list_payouts(call.db, [goal.id])[goal.id])}}


# the deprecated campaign-scoped forms: one fixed payout per goal, shown on the goal

def _simple(call: TrackierCall, goal, campaign) -> dict:
    payouts = goals.list_payouts(call.db, [goal.id])[goal.id]
    first = payouts[0] if payouts else None
    return {**goal_object(goal), "revenue": as_number(first.revenue_micros) if first else None,
            "payout": as_number(first.payout_micros) if first else None, "currency": campaign.currency}


def _campaign_goal(call: TrackierCall):
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    goal = goals.in_campaign(goals.find_goal(call.db, call.network, call.path_params["goalId"]), campaign)
    return campaign, goal


@operation("POST", "/goals/{campId}", writes=True, body=goals.SIMPLE_GOAL_BODY,
           answer=envelope({"goal": SIMPLE_GOAL, "message": STRING}))
def simple_create(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    goal = goals.create_simple_goal(call.db, call.services.clock, call.network, campaign, call.body)
    return {"success": True, "data": {"goal": _simple(call, goal, campaign), "message": "Goal Saved Successfully!!"}}


@operation("GET", "/goals/{campId}", cacheable=True, answer=envelope({"goals": array(SIMPLE_GOAL)}))
def simple_list(call: TrackierCall) -> dict:
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campId"])
    return {"success": True, "data": {"goals": [_simple(call, goal, campaign)
                                                for goal in goals.list_goals(call.db, campaign)]}}


@operation("GET", "/goals/{campId}/{goalId}", cacheable=True, answer=envelope({"goal": SIMPLE_GOAL}))
def simple_get(call: TrackierCall) -> dict:
    campaign, goal = _campaign_goal(call)
    return {"success": True, "data": {"goal": _simple(call, goal, campaign)}}


@operation("POST", "/goals/{campId}/{goalId}", writes=True, body=goals.SIMPLE_GOAL_BODY,
           answer=envelope({"goal": SIMPLE_GOAL, "message": STRING}))
def simple_edit(call: TrackierCall) -> dict:
    campaign, goal = _campaign_goal(call)
    goal = goals.edit_simple_goal(call.db, call.services.clock, call.network, goal, call.body)
    return {"success": True, "data": {"goal": _simple(call, goal, campaign), "message": "Goal Saved Successfully!!"}}


@operation("DELETE", "/goals/{campId}/{goalId}", writes=True, answer=message_only())
def simple_delete(call: TrackierCall) -> dict:
    _, goal = _campaign_goal(call)
    goals.delete_goal(call.db, call.network, goal.object_id)
    return {"success": True, "data": {"message": "Goal removed from database!!"}}
