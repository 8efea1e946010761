"""Goals (a campaign's conversion events: registration, deposit ...) and their payouts.

A goal's `value` is the token an advertiser's postback sends as `goal_value`, so it is unique
among a campaign's live goals. Each payout pays `payout` (to the affiliate) and charges
`revenue` (to the advertiser) in the countries of its `coverage`; with the goal's model
`percentage` both are percentages of the conversion's sale amount.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields
from polytrack.trackier.campaigns import by_ident, coverage, display_id_list, find_campaign
from polytrack.trackier.domain import Network, new_object_id
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.fields import Problems, note
from polytrack.trackier.tables import trackier_campaigns, trackier_goal_payouts, trackier_goals
from polytrack.trackier.schema import NUMBER, STRING, array, choice, form

GOAL_TYPES = ("public", "private")
GOAL_TYPES_ON_UPDATE = ("public", "private", "pub_specific")
GOAL_MODELS = ("fixed", "percentage")

# a goal with its campaign's _id and network
GOAL = select(trackier_goals, trackier_campaigns.c.object_id.label("campaign_object_id"),
              trackier_campaigns.c.network_id).join(trackier_campaigns,
                                                    trackier_campaigns.c.id == trackier_goals.c.campaign_id)


# The request bodies (schema.py; the OpenAPI document).
PAYOUT_FIELDS = dict(payout=NUMBER, revenue=NUMBER, coverage=array(STRING))
PAYOUT_BODY = form(**PAYOUT_FIELDS, required=("payout", "revenue"))
PAYOUT_EDIT_BODY = form(**PAYOUT_FIELDS)
GOAL_FIELDS = dict(title=STRING, value=STRING, model=choice(GOAL_MODELS), whitelist_pubs=array(STRING),
                   blacklist_pubs=array(STRING))
GOAL_BODY = form(goal=form(**GOAL_FIELDS, type=choice(GOAL_TYPES), ad_id=STRING,
                           required=("title", "value", "type", "model", "ad_id")),
                 payouts=array(PAYOUT_BODY), required=("goal",))
GOAL_EDIT_BODY = form(**GOAL_FIELDS, type=choice(GOAL_TYPES_ON_UPDATE))
SIMPLE_GOAL_BODY = form(title=STRING, value=STRING, type=STRING, payout=NUMBER, revenue=NUMBER)


def find_goal(db: Db, network: Network, ident: str) -> Row:
    """A live goal of an undeleted campaign of the network, by _id; 404/31 if none."""
    where = by_ident(trackier_goals, ident)
    row = None if where is None else db.execute(GOAL.where(
        where, trackier_campaigns.c.network_id == network.id, trackier_campaigns.c.deleted.is_(False),
        trackier_goals.c.deleted.is_(False))).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def list_goals(db: Db, campaign: Row) -> list[Row]:
    return list(db.execute(GOAL.where(trackier_goals.c.campaign_id == campaign.id, trackier_goals.c.deleted.is_(False))
                           .order_by(trackier_goals.c.id)).all())


def list_payouts(db: Db, goal_ids: list[int]) -> dict[int, list[Row]]:
    """The payouts of several goals, by goal id, in creation order."""
    found: dict[int, list[Row]] = {goal_id: [] for goal_id in goal_ids}
    if goal_ids:
        for row in db.execute(select(trackier_goal_payouts).where(trackier_goal_payouts.c.goal_id.in_(goal_ids))
                              .order_by(trackier_goal_payouts.c.id)):
            found[row.goal_id].append(row)
    return found


def _value_taken(db: Db, campaign_id: int, value: str, *, other_than: int | None = None) -> bool:
    query = select(trackier_goals.c.id).where(trackier_goals.c.campaign_id == campaign_id,
                                              trackier_goals.c.value == value, trackier_goals.c.deleted.is_(False))
    if other_than is not None:
        query = query.where(trackier_goals.c.id != other_than)
    return db.execute(query).first() is not None


def _payout_fields(data: dict, problems: Problems, *, partial: bool) -> dict:
    values: dict = {}
    payout = fields.money(data, "payout", problems, required=not partial)
    revenue = fields.money(data, "revenue", problems, required=not partial)
    countries = coverage(data, "coverage", problems, required=not partial)
    if payout is not None:
        values["payout_micros"] = payout
    if revenue is not None:
        values["revenue_micros"] = revenue
    if countries is not None:
        values["coverage"] = json.dumps(countries)
    return values


def create_goal(db: Db, clock: Clock, network: Network, data: dict) -> tuple[Row, list[Row]]:
    """POST /goal: `{"goal": {title, value, type, ad_id, model}, "payouts": [...]}`."""
    problems: Problems = {}
    goal = data.get("goal")
    if not isinstance(goal, dict):
        goal = data  # the goal's fields at the top level are read too
    title = fields.text(goal, "title", problems, required=True)
    value = fields.text(goal, "value", problems, required=True)
    goal_type = fields.choice(goal, "type", problems, GOAL_TYPES, required=True)
    model = fields.choice(goal, "model", problems, GOAL_MODELS, required=True)
    campaign = None
    campaign_ident = fields.ident(goal, "ad_id", problems, required=True)
    if campaign_ident is not None:
        try:
            campaign = find_campaign(db, network, campaign_ident)
        except TrackierError:
            note(problems, "ad_id", "Campaign not found")
    payout_items = fields.items(data, "payouts", problems) or []
    payouts = []
    for index, item in enumerate(payout_items):
        inner: Problems = {}
        payouts.append(_payout_fields(item, inner, partial=False))
        fields.nested(problems, "payouts", index, inner)
    if problems:
        raise errors.invalid(problems)
    assert campaign is not None and value is not None
    if _value_taken(db, campaign.id, value):
        raise TrackierError(errors.DUPLICATED, errors={"value": ["The campaign already has a goal with this value"]})
    object_id = new_object_id(clock)
    goal_id = db.execute(trackier_goals.insert().values(
        object_id=object_id, campaign_id=campaign.id, title=title, value=value, type=goal_type, model=model,
        whitelist_pubs=None, blacklist_pubs=None, deleted=False, created_at=clock.timestamp(),
    ).returning(trackier_goals.c.id)).scalar_one()
    for payout in payouts:
        db.execute(trackier_goal_payouts.insert().values(object_id=new_object_id(clock), goal_id=goal_id, **payout))
    return find_goal(db, network, object_id), list_payouts(db, [goal_id])[goal_id]


def edit_goal(db: Db, network: Network, ident: str, data: dict) -> Row:
    """POST /goal/{goal_id}: title, value, model, type, whitelist_pubs, blacklist_pubs."""
    goal = find_goal(db, network, ident)
    problems: Problems = {}
    values: dict = {}
    for name in ("title", "value"):
        text = fields.text(data, name, problems)
        if text is not None:
            values[name] = text
    goal_type = fields.choice(data, "type", problems, GOAL_TYPES_ON_UPDATE)
    if goal_type is not None:
        values["type"] = goal_type
    model = fields.choice(data, "model", problems, GOAL_MODELS)
    if model is not None:
        values["model"] = model
    for name in ("whitelist_pubs", "blacklist_pubs"):
        ids = display_id_list(data, name, problems)
        if ids is not None:
            values[name] = json.dumps(ids)
    if problems:
        raise errors.invalid(problems)
    if "value" in values and _value_taken(db, goal.campaign_id, values["value"], other_than=goal.id):
        raise TrackierError(errors.DUPLICATED, errors={"value": ["The campaign already has a goal with this value"]})
    if values:
        db.execute(update(trackier_goals).where(trackier_goals.c.id == goal.id).values(**values))
    return find_goal(db, network, goal.object_id)


def delete_goal(db: Db, network: Network, ident: str) -> None:
    """Soft delete: conversions keep their goal; its payouts go, its value is free again."""
    goal = find_goal(db, network, ident)
    db.execute(update(trackier_goals).where(trackier_goals.c.id == goal.id).values(deleted=True))
    db.execute(delete(trackier_goal_payouts).where(trackier_goal_payouts.c.goal_id == goal.id))


def find_payout(db: Db, goal: Row, ident: str) -> Row:
    where = by_ident(trackier_goal_payouts, ident)
    row = None if where is None else db.execute(select(trackier_goal_payouts).where(
        where, trackier_goal_payouts.c.goal_id == goal.id)).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def create_payout(db: Db, clock: Clock, goal: Row, data: dict) -> Row:
    problems: Problems = {}
    values = _payout_fields(data, problems, partial=False)
    if problems:
        raise errors.invalid(problems)
    object_id = new_object_id(clock)
    db.execute(trackier_goal_payouts.insert().values(object_id=object_id, goal_id=goal.id, **values))
    return find_payout(db, goal, object_id)


def edit_payout(db: Db, goal: Row, ident: str, data: dict) -> Row:
    row = find_payout(db, goal, ident)
    problems: Problems = {}
    values = _payout_fields(data, problems, partial=True)
    if problems:
        raise errors.invalid(problems)
    if values:
        db.execute(update(trackier_goal_payouts).where(trackier_goal_payouts.c.id == row.id).values(**values))
    return find_payout(db, goal, row.object_id)


def delete_payout(db: Db, goal: Row, ident: str) -> None:
    row = find_payout(db, goal, ident)
    db.execute(delete(trackier_goal_payouts).where(trackier_goal_payouts.c.id == row.id))


def list_network_goals(db: Db, network: Network, *, limit: int, page: int) -> tuple[list[Row], int]:
    """Every live goal of the network's undeleted campaigns (the legacy GET /goal), oldest first."""
    where = [trackier_campaigns.c.network_id == network.id, trackier_campaigns.c.deleted.is_(False),
             trackier_goals.c.deleted.is_(False)]
    total = db.execute(select(func.count()).select_from(trackier_goals.join(
        trackier_campaigns, trackier_campaigns.c.id == trackier_goals.c.campaign_id)).where(*where)).scalar_one()
    rows = db.execute(GOAL.where(*where).order_by(trackier_goals.c.id).limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


def in_campaign(goal: Row, campaign: Row) -> Row:
    """The goal, if it belongs to the campaign (the deprecated /goals/{campId}/{goalId}); 404/31."""
    if goal.campaign_id != campaign.id:
        raise TrackierError(errors.NOT_FOUND)
    return goal


def create_simple_goal(db: Db, clock: Clock, network: Network, campaign: Row, data: dict) -> Row:
    """The deprecated campaign-scoped create: title, value, type, payout, revenue (one fixed
    payout for every country)."""
    goal, _ = create_goal(db, clock, network, {
        "goal": {**{k: data.get(k) for k in ("title", "value", "type")}, "ad_id": campaign.object_id,
                 "model": "fixed"},
        "payouts": [{"payout": data.get("payout"), "revenue": data.get("revenue"), "coverage": ["ALL"]}]})
    return goal


def edit_simple_goal(db: Db, clock: Clock, network: Network, goal: Row, data: dict) -> Row:
    """The deprecated update: the goal's fields, and payout / revenue of its first payout."""
    edited = edit_goal(db, network, goal.object_id, {k: data[k] for k in ("title", "value", "type") if k in data})
    money = {k: data[k] for k in ("payout", "revenue") if data.get(k) not in (None, "")}
    if money:
        payouts = list_payouts(db, [goal.id])[goal.id]
        if payouts:
            edit_payout(db, goal, payouts[0].object_id, money)
        else:
            create_payout(db, clock, goal, {"payout": 0, "revenue": 0, "coverage": ["ALL"], **money})
    return edited
