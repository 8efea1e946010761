"""Network API: campaign goals (events) and their payouts (network keys)."""

from __future__ import annotations

from polytrack.trackier import campaigns, goals
from polytrack.trackier.operations.base import TrackierCall, operation, planned
from polytrack.trackier.shapes import goal_object, goal_payout_object


def _payouts(goal, rows) -> list[dict]:
    return [goal_payout_object(row, goal) for row in rows]


@operation("POST", "/goal", writes=True)
def create_goal(call: TrackierCall) -> dict:
    goal, payouts = goals.create_goal(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"goal": goal_object(goal), "payouts": _payouts(goal, payouts),
                                      "message": "Goal Created Successfully!!"}}


@operation("GET", "/goal/campaign/{campaign_id}", cacheable=True)
def campaign_goals(call: TrackierCall) -> dict:
    # no `data` wrapper here, as the docs show
    campaign = campaigns.find_campaign(call.db, call.network, call.path_params["campaign_id"])
    rows = goals.list_goals(call.db, campaign)
    payouts = goals.list_payouts(call.db, [row.id for row in rows])
    return {"success": True, "currency": campaign.currency,
            "goals": [{"goal": goal_object(row), "payouts": _payouts(row, payouts[row.id])} for row in rows]}


@operation("GET", "/goal/{goal_id}", cacheable=True)
def get_goal(call: TrackierCall) -> dict:
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    return {"success": True, "data": {"goal": goal_object(goal),
                                      "payouts": _payouts(goal, goals.list_payouts(call.db, [goal.id])[goal.id])}}


@operation("POST", "/goal/{goal_id}", writes=True)
def edit_goal(call: TrackierCall) -> dict:
    goal = goals.edit_goal(call.db, call.network, call.path_params["goal_id"], call.body)
    return {"success": True, "data": {"goal": goal_object(goal, lists=True), "message": "Goal updated Successfully!!"}}


@operation("DELETE", "/goal/{goal_id}", writes=True)
def delete_goal(call: TrackierCall) -> dict:
    goals.delete_goal(call.db, call.network, call.path_params["goal_id"])
    return {"success": True, "data": {"message": "Goal removed from database!!"}}


@operation("POST", "/goal/payout/{goal_id}", writes=True)
def create_goal_payout(call: TrackierCall) -> dict:
    # no `data` wrapper; the new payout alone in the list
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    row = goals.create_payout(call.db, call.services.clock, goal, call.body)
    return {"success": True, "payouts": _payouts(goal, [row])}


@operation("POST", "/goal/payout/{goal_id}/{payout_id}", writes=True)
def edit_goal_payout(call: TrackierCall) -> dict:
    # the singular key `payout` holds a list, as the docs show
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    row = goals.edit_payout(call.db, goal, call.path_params["payout_id"], call.body)
    return {"success": True, "data": {"payout": _payouts(goal, [row]), "message": "Payout Updated Successfully!!"}}


@operation("DELETE", "/goal/payout/{goal_id}/{payout_id}", writes=True)
def delete_goal_payout(call: TrackierCall) -> dict:
    goal = goals.find_goal(call.db, call.network, call.path_params["goal_id"])
    goals.delete_payout(call.db, goal, call.path_params["payout_id"])
    return {"success": True, "data": {"message": "Payout removed successfully!!"}}


# Legacy: gone from the newest docs, still called by clients written against the older ones.
planned("GET", "/goal")
planned("GET", "/goal/ad/{adId}")
planned("GET", "/goal/payout/{goalId}")
# the deprecated campaign-scoped forms
planned("POST", "/goals/{campId}")
planned("GET", "/goals/{campId}")
planned("GET", "/goals/{campId}/{goalId}")
planned("POST", "/goals/{campId}/{goalId}")
planned("DELETE", "/goals/{campId}/{goalId}")
