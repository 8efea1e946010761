"""Campaigns and what hangs off them: default commissions, caps, landing pages,
publisher-specific payouts, publisher access, tracking links, and the network's tracking domains.

No HTTP here: functions over the tables, scoped to one network, raising TrackierError with the
vendor's codes (404/31 for an id that is not the network's, 400/20 with every failing field).
Management calls, not the hot path: SQLAlchemy Core throughout.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields
from polytrack.trackier.dictionary_data import COUNTRIES, DEVICES
from polytrack.trackier.domain import (
    DISPLAY_ID_RE, MAX_INT32, OBJECT_ID_RE, Network, new_object_id, next_sequence_value,
)
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.fields import Problems, note
from polytrack.trackier.schema import ANY, BOOLEAN, INTEGER, NUMBER, STRING, array, choice, form, map_of
from polytrack.trackier.tables import (
    trackier_campaign_access, trackier_campaigns, trackier_caps, trackier_commissions, trackier_goals,
    trackier_landing_pages, trackier_links, trackier_networks, trackier_pub_payouts, trackier_users,
)

# The campaign model: create documents CPA, CPC, CPI, CPM and edit adds CPS and CPL; both
# accept all six (a CPS campaign needs a percentage goal anyway), stored lower-case.
MODELS = ("cpa", "cps", "cpm", "cpl", "cpi", "cpc")
STATUSES = ("active", "pending", "paused", "disabled")
VISIBILITIES = ("public", "private", "permission")
CONVERSION_TRACKING = ("postback", "iframe_https", "image_https")
OPERATING_SYSTEMS = ("all", "android", "ios")
# the dictionary's device keys, plus the form factors of the campaign edit page
DEVICE_KEYS = tuple(DEVICES) + ("mobile", "tablet", "desktop")
CAP_TYPES = ("conversion", "payout", "revenue", "click", "pendingPayout", "pendingRevenue", "approvedConv")
PUB_CAP_TYPES = ("each", "group")
EDIT_ACTIONS = ("targeting", "image_upload", "basic_info", "settings")
DEFAULT_COOKIE_DAYS = 90
ALL = "ALL"
HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
                     r"(?::[0-9]{1,5})?$")

# A campaign row with its advertiser's _id (the wire's `user_id`).
CAMPAIGN = select(trackier_campaigns, trackier_users.c.object_id.label("advertiser_object_id")).join(
    trackier_users, trackier_users.c.id == trackier_campaigns.c.advertiser_id)

# The request bodies, as the functions below read them (schema.py; the OpenAPI document).
NAMES = array(STRING)
COMMISSION_FIELDS = dict(payout=NUMBER, rate=NUMBER, revenue=NUMBER, coverage=NAMES, description=STRING)
COMMISSION_BODY = form(**COMMISSION_FIELDS, required=("revenue",))  # and payout (or rate)
COMMISSION_EDIT_BODY = form(**COMMISSION_FIELDS)
CAP_FIELDS = dict(type=choice(CAP_TYPES), pids=NAMES, pub_id=STRING, daily=INTEGER, monthly=INTEGER,
                  lifetime=INTEGER, pc=BOOLEAN, geo=NAMES, pub_cap_type=choice(PUB_CAP_TYPES))
CAP_BODY = form(**CAP_FIELDS)
CAMPAIGN_BODY_FIELDS = dict(
    title=STRING, url=STRING, preview_url=STRING, fallback_url=STRING, description=STRING,
    status=choice(STATUSES), visibility=choice(VISIBILITIES), model=choice(MODELS), device=array(choice(DEVICE_KEYS)),
    os=array(choice(OPERATING_SYSTEMS)), category=NAMES, live=BOOLEAN, expiry=STRING, cookie_duration=INTEGER)
CAMPAIGN_BODY = form(**CAMPAIGN_BODY_FIELDS, advertiser_id=STRING, os_ver=map_of(ANY), currency=STRING,
                     conversion_tracking=choice(CONVERSION_TRACKING), conversion_pixel_domain=STRING,
                     app_name=STRING, app_id=STRING, commissions=array(COMMISSION_BODY), caps=array(CAP_BODY),
                     required=("title", "url", "advertiser_id", "commissions"))
CAMPAIGN_EDIT_BODY = form(**CAMPAIGN_BODY_FIELDS, action=choice(EDIT_ACTIONS), image_url=STRING,
                          blacklist_pubs=array(INTEGER), whitelist_pubs=array(INTEGER), required=("action",))
CAPS_BODY = form(caps=array(form(**CAP_FIELDS, required=("type",))), **CAP_FIELDS)
LANDING_PAGE_FIELDS = dict(title=STRING, preview_url=STRING, url=STRING)
LANDING_PAGE_BODY = form(**LANDING_PAGE_FIELDS, required=tuple(LANDING_PAGE_FIELDS))
LANDING_PAGE_EDIT_BODY = form(**LANDING_PAGE_FIELDS)
PUB_PAYOUT_FIELDS = dict(goal_id=STRING, pids=NAMES, crev=BOOLEAN, payout=NUMBER, revenue=NUMBER, coverage=NAMES)
PUB_PAYOUT_BODY = form(**PUB_PAYOUT_FIELDS, required=("pids", "payout"))
PUB_PAYOUT_EDIT_BODY = form(**PUB_PAYOUT_FIELDS)
ACCESS_BODY = form(publisher_ids=NAMES, campaign_ids=NAMES, required=("publisher_ids", "campaign_ids"))
DOMAINS_BODY = form(domains=NAMES)
LINK_BODY = form(domain=STRING)


def loads(text: str | None, default=None):
    """A JSON column's value (None stays the default)."""
    return default if text is None else json.loads(text)


def by_ident(table, ident: str, *, display_ids: bool = False):
    """The WHERE clause finding a row by its 24-hex _id, or (`display_ids`) its display id; None
    when `ident` can be neither (so nothing is found)."""
    ident = (ident or "").strip()
    if OBJECT_ID_RE.match(ident):
        return table.c.object_id == ident.lower()
    if display_ids and DISPLAY_ID_RE.match(ident) and int(ident) <= MAX_INT32:
        return table.c.display_id == int(ident)
    return None


def coverage(data: dict, name: str, problems: Problems, *, required: bool = False) -> list[str] | None:
    """Country codes of the dictionary (`ALL` for everywhere), upper-cased."""
    codes = fields.string_list(data, name, problems, required=required, max_length=3)
    if codes is None:
        return None
    codes = list(dict.fromkeys(code.upper() for code in codes))
    unknown = [code for code in codes if code not in COUNTRIES]
    if unknown:
        note(problems, name, f"{name.capitalize()}: unknown country code(s): {', '.join(unknown[:10])}")
        return None
    return codes


# --- campaigns --------------------------------------------------------------------------------

def find_campaign(db: Db, network: Network, ident: str) -> Row:
    """An undeleted campaign of the network by _id or display id; 404/31 if none."""
    where = by_ident(trackier_campaigns, ident, display_ids=True)
    row = None
    if where is not None:
        row = db.execute(CAMPAIGN.where(where, trackier_campaigns.c.network_id == network.id,
                                        trackier_campaigns.c.deleted.is_(False))).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def _advertiser(db: Db, network: Network, data: dict, problems: Problems) -> int | None:
    ident = fields.ident(data, "advertiser_id", problems, required=True)
    if ident is None:
        return None
    where = by_ident(trackier_users, ident, display_ids=True)
    found = None if where is None else db.execute(select(trackier_users.c.id).where(
        where, trackier_users.c.network_id == network.id, trackier_users.c.type == "advertiser",
        trackier_users.c.deleted.is_(False))).scalar()
    if found is None:
        note(problems, "advertiser_id", "Advertiser not found")
    return found


def _commission_fields(data: dict, problems: Problems, *, partial: bool) -> dict:
    """rate/payout (to the affiliate), revenue (from the advertiser), coverage (["ALL"])."""
    values: dict = {}
    rate_name = "payout" if "payout" in data and "rate" not in data else "rate"
    rate = fields.money(data, rate_name, problems, required=not partial)
    revenue = fields.money(data, "revenue", problems, required=not partial)
    countries = coverage(data, "coverage", problems)
    description = fields.text(data, "description", problems, max_length=1000)
    if rate is not None:
        values["rate_micros"] = rate
    if revenue is not None:
        values["revenue_micros"] = revenue
    if countries is not None or not partial:
        values["coverage"] = json.dumps(countries or [ALL])
    if description is not None:
        values["description"] = description
    return values


def _campaign_fields(data: dict, problems: Problems, *, creating: bool) -> dict:
    """The columns a create or an edit may set, from the fields present."""
    values: dict = {}
    for name in ("title",):
        value = fields.text(data, name, problems, required=creating)
        if value is not None:
            values[name] = value
    for name in ("url", "preview_url", "fallback_url"):
        value = fields.url(data, name, problems, required=creating and name == "url")
        if value is not None:
            values[name] = value
    description = fields.text(data, "description", problems, max_length=10_000)
    if description is not None:
        values["description"] = description
    for name, allowed in (("status", STATUSES), ("visibility", VISIBILITIES)):
        value = fields.choice(data, name, problems, allowed)
        if value is not None:
            values[name] = value
    model = fields.choice(data, "model", problems, MODELS)
    if model is not None:
        values["comm_model"] = model
    device = fields.string_list(data, "device", problems, allowed=DEVICE_KEYS, fold_case=True, max_length=16)
    if device is not None:
        values["device"] = json.dumps(device)
    os_list = fields.string_list(data, "os", problems, allowed=OPERATING_SYSTEMS, fold_case=True, max_length=16)
    if os_list is not None:
        values["os"] = json.dumps(os_list)
    category = fields.string_list(data, "category", problems)
    if category is not None:
        values["category"] = json.dumps(category)
    live = fields.boolean(data, "live", problems)
    if live is not None:
        values["live"] = live
    expiry = fields.text(data, "expiry", problems, max_length=10)
    if expiry is not None:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", expiry):
            values["expiry"] = expiry
        else:
            note(problems, "expiry", "Expiry must be a date, YYYY-MM-DD")
    cookie_days = fields.integer(data, "cookie_duration", problems, minimum=1, maximum=3650)
    if cookie_days is not None:
        values["cookie_duration"] = cookie_days
    return values


def create_campaign(db: Db, clock: Clock, network: Network, data: dict) -> tuple[Row, list[Row], list[Row]]:
    """POST /campaign: the campaign with its commissions and (optional) caps, all or nothing."""
    problems: Problems = {}
    advertiser_id = _advertiser(db, network, data, problems)
    values = _campaign_fields(data, problems, creating=True)
    os_ver = fields.object_field(data, "os_ver", problems)
    currency = fields.text(data, "currency", problems, max_length=3)
    if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", currency):
        note(problems, "currency", "Currency must be a 3-letter code")
    tracking = fields.choice(data, "conversion_tracking", problems, CONVERSION_TRACKING)
    pixel_domain = fields.text(data, "conversion_pixel_domain", problems)
    app_name = fields.text(data, "app_name", problems)
    app_id = fields.text(data, "app_id", problems)
    commission_items = fields.items(data, "commissions", problems, required=True) or []
    commissions = []
    for index, item in enumerate(commission_items):
        inner: Problems = {}
        commissions.append(_commission_fields(item, inner, partial=False))
        fields.nested(problems, "commissions", index, inner)
    cap_items = fields.items(data, "caps", problems) or []
    caps = []
    for index, item in enumerate(cap_items):
        inner = {}
        caps.append(cap_fields(db, network, item, inner, partial=False))
        fields.nested(problems, "caps", index, inner)
    if problems:
        raise errors.invalid(problems)
    now = clock.timestamp()
    object_id = new_object_id(clock)
    defaults = dict(
        description=None, preview_url=None, image=None, fallback_url=None, device=None, os=json.dumps(["all"]),
        category="[]", comm_model="cpa", status="pending", visibility="public", cookie_duration=DEFAULT_COOKIE_DAYS,
        expiry=None, live=True,
    )
    campaign_id = db.execute(trackier_campaigns.insert().values(
        object_id=object_id, network_id=network.id, display_id=next_sequence_value(db, network.id, "campaign"),
        advertiser_id=advertiser_id, os_ver=json.dumps(os_ver) if os_ver else None,
        currency=(currency or network.currency).upper(), conv_tracking=tracking or "postback",
        convt_domain=pixel_domain, app_name=app_name, app_id=app_id, deleted=False, created_at=now,
        modified_at=now, **{**defaults, **values},
    ).returning(trackier_campaigns.c.id)).scalar_one()
    for commission in commissions:
        db.execute(trackier_commissions.insert().values(object_id=new_object_id(clock), campaign_id=campaign_id,
                                                        created_at=now, **commission))
    for cap in caps:
        db.execute(trackier_caps.insert().values(object_id=new_object_id(clock), campaign_id=campaign_id, **cap))
    campaign = find_campaign(db, network, object_id)
    return campaign, list_commissions(db, campaign), list_caps(db, campaign)


def edit_campaign(db: Db, clock: Clock, network: Network, ident: str, data: dict) -> tuple[Row, str]:
    """POST /campaign/{id}: the body's `action` says which fields may change; returns the
    campaign and the action's message."""
    campaign = find_campaign(db, network, ident)
    problems: Problems = {}
    action = fields.choice(data, "action", problems, EDIT_ACTIONS, required=True)
    values: dict = {}
    if action == "targeting":
        allowed = {"device", "os", "visibility", "category"}
        values = {k: v for k, v in _campaign_fields(data, problems, creating=False).items() if k in allowed}
        message = "Targeting Info Updated!!"
    elif action == "image_upload":
        image = fields.url(data, "image_url", problems, required=True)
        values = {"image": image}
        message = "Image Uploaded!!"
    elif action == "basic_info":
        allowed = {"title", "url", "preview_url", "description", "expiry", "live", "category", "status",
                   "comm_model", "fallback_url", "cookie_duration"}
        values = {k: v for k, v in _campaign_fields(data, problems, creating=False).items() if k in allowed}
        message = "Campaign Updated!!"
    elif action == "settings":
        for name in ("blacklist_pubs", "whitelist_pubs"):
            ids = display_id_list(data, name, problems)
            if ids is not None:
                values[name] = json.dumps(ids)
        message = "Settings Updated!!"
    if problems:
        raise errors.invalid(problems)
    db.execute(update(trackier_campaigns).where(trackier_campaigns.c.id == campaign.id).values(
        modified_at=clock.timestamp(), **values))
    return find_campaign(db, network, campaign.object_id), message


def display_id_list(data: dict, name: str, problems: Problems) -> list[int] | None:
    """Publisher display ids (whitelists and blacklists), as integers."""
    value = data.get(name)
    if value == []:
        return []
    items = fields.string_list(data, name, problems, max_length=10)
    if items is None:
        return None
    if not all(DISPLAY_ID_RE.match(item) and int(item) <= MAX_INT32 for item in items):
        note(problems, name, f"{name} must be a list of publisher display ids")
        return None
    return [int(item) for item in items]


def list_campaigns(db: Db, network: Network, *, active_only: bool, limit: int, page: int) -> tuple[list[Row], int]:
    """Undeleted campaigns, newest first; `active_only`: status active. Returns (page, total)."""
    where = [trackier_campaigns.c.network_id == network.id, trackier_campaigns.c.deleted.is_(False)]
    if active_only:
        where.append(trackier_campaigns.c.status == "active")
    total = db.execute(select(func.count()).select_from(trackier_campaigns).where(*where)).scalar_one()
    rows = db.execute(CAMPAIGN.where(*where).order_by(trackier_campaigns.c.display_id.desc())
                      .limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


def delete_campaign(db: Db, clock: Clock, network: Network, ident: str) -> None:
    """Soft delete: recorded clicks and conversions keep their campaign; its links stop."""
    campaign = find_campaign(db, network, ident)
    db.execute(update(trackier_campaigns).where(trackier_campaigns.c.id == campaign.id).values(
        deleted=True, modified_at=clock.timestamp()))


# --- commissions ------------------------------------------------------------------------------

def list_commissions(db: Db, campaign: Row) -> list[Row]:
    return list(db.execute(select(trackier_commissions).where(trackier_commissions.c.campaign_id == campaign.id)
                           .order_by(trackier_commissions.c.id)).all())


def find_commission(db: Db, campaign: Row, ident: str) -> Row:
    return _child(db, trackier_commissions, campaign, ident)


def _child(db: Db, table, campaign: Row, ident: str) -> Row:
    """A row of `table` belonging to the campaign, by its _id; 404/31 if none."""
    where = by_ident(table, ident)
    row = None if where is None else db.execute(select(table).where(where, table.c.campaign_id == campaign.id)).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def create_commission(db: Db, clock: Clock, campaign: Row, data: dict) -> Row:
    problems: Problems = {}
    values = _commission_fields(data, problems, partial=False)
    if problems:
        raise errors.invalid(problems)
    object_id = new_object_id(clock)
    db.execute(trackier_commissions.insert().values(object_id=object_id, campaign_id=campaign.id,
                                                    created_at=clock.timestamp(), **values))
    return find_commission(db, campaign, object_id)


def edit_commission(db: Db, clock: Clock, campaign: Row, ident: str, data: dict) -> Row:
    row = find_commission(db, campaign, ident)
    problems: Problems = {}
    values = _commission_fields(data, problems, partial=True)
    if problems:
        raise errors.invalid(problems)
    db.execute(update(trackier_commissions).where(trackier_commissions.c.id == row.id).values(
        modified_at=clock.timestamp(), **values))
    return find_commission(db, campaign, row.object_id)


def delete_commission(db: Db, campaign: Row, ident: str) -> None:
    row = find_commission(db, campaign, ident)
    db.execute(delete(trackier_commissions).where(trackier_commissions.c.id == row.id))


# --- caps -------------------------------------------------------------------------------------

def publisher_ids(db: Db, network: Network, data: dict, name: str, problems: Problems, *,
                  allow_all: bool) -> list[str] | None:
    """Publishers by _id or display id, as their _ids (`["ALL"]` kept when `allow_all`)."""
    idents = fields.string_list(data, name, problems, max_length=24)
    if idents is None:
        return None
    if allow_all and any(ident.upper() == ALL for ident in idents):
        return [ALL]
    found: list[str] = []
    unknown: list[str] = []
    for ident in idents:
        where = by_ident(trackier_users, ident, display_ids=True)
        object_id = None if where is None else db.execute(select(trackier_users.c.object_id).where(
            where, trackier_users.c.network_id == network.id, trackier_users.c.type == "publisher",
            trackier_users.c.deleted.is_(False))).scalar()
        (found if object_id else unknown).append(object_id or ident)
    if unknown:
        note(problems, name, f"unknown publisher(s): {', '.join(unknown[:10])}")
        return None
    return list(dict.fromkeys(found))


def cap_fields(db: Db, network: Network, data: dict, problems: Problems, *, partial: bool) -> dict:
    """A cap's columns from a create item or an update body. `pids` (or the deprecated single
    `pub_id`) name the publishers, `["ALL"]` when neither is sent; a new cap needs a limit."""
    values: dict = {}
    cap_type = fields.choice(data, "type", problems, CAP_TYPES, required=not partial)
    if cap_type is not None:
        values["type"] = cap_type
    source = "pids" if data.get("pids") not in (None, "", []) else "pub_id"
    pids = publisher_ids(db, network, data, source, problems, allow_all=True)
    if pids is not None or not partial:
        values["pids"] = json.dumps(pids or [ALL])
    for name in ("daily", "monthly", "lifetime"):
        limit = fields.integer(data, name, problems, maximum=10**15)
        if limit is not None:
            values[name] = limit
    if not partial and not any(name in values for name in ("daily", "monthly", "lifetime")) \
            and not any(name in problems for name in ("daily", "monthly", "lifetime")):
        note(problems, "daily", "A cap needs a daily, monthly or lifetime limit")
    pause = fields.boolean(data, "pc", problems)
    if pause is not None or not partial:
        values["pause_campaign"] = int(bool(pause))
    geo = coverage(data, "geo", problems)
    if geo is not None or not partial:
        values["geo"] = json.dumps(geo or [ALL])
    pub_cap_type = fields.choice(data, "pub_cap_type", problems, PUB_CAP_TYPES)
    if pub_cap_type is not None or not partial:
        values["pub_cap_type"] = pub_cap_type or "group"
    return values


def list_caps(db: Db, campaign: Row) -> list[Row]:
    return list(db.execute(select(trackier_caps).where(trackier_caps.c.campaign_id == campaign.id)
                           .order_by(trackier_caps.c.id)).all())


def find_cap(db: Db, campaign: Row, ident: str) -> Row:
    return _child(db, trackier_caps, campaign, ident)


def create_caps(db: Db, clock: Clock, network: Network, campaign: Row, data: dict) -> list[Row]:
    """POST /caps/{campId}: `{"caps": [...]}` (a single flat cap is taken too); returns the new ones."""
    problems: Problems = {}
    cap_items = fields.items(data, "caps", problems) if "caps" in data else [data]
    caps = []
    for index, item in enumerate(cap_items or []):
        inner: Problems = {}
        caps.append(cap_fields(db, network, item, inner, partial=False))
        fields.nested(problems, "caps", index, inner)
    if not cap_items and not problems:
        note(problems, "caps", "Caps is required")
    if problems:
        raise errors.invalid(problems)
    object_ids = []
    for cap in caps:
        object_ids.append(new_object_id(clock))
        db.execute(trackier_caps.insert().values(object_id=object_ids[-1], campaign_id=campaign.id, **cap))
    return [find_cap(db, campaign, object_id) for object_id in object_ids]


def edit_cap(db: Db, network: Network, campaign: Row, ident: str, data: dict) -> Row:
    row = find_cap(db, campaign, ident)
    problems: Problems = {}
    values = cap_fields(db, network, data, problems, partial=True)
    if problems:
        raise errors.invalid(problems)
    if values:
        db.execute(update(trackier_caps).where(trackier_caps.c.id == row.id).values(**values))
    return find_cap(db, campaign, row.object_id)


def delete_cap(db: Db, campaign: Row, ident: str) -> None:
    row = find_cap(db, campaign, ident)
    db.execute(delete(trackier_caps).where(trackier_caps.c.id == row.id))


# --- landing pages ----------------------------------------------------------------------------

def list_landing_pages(db: Db, campaign: Row) -> list[Row]:
    return list(db.execute(select(trackier_landing_pages).where(trackier_landing_pages.c.campaign_id == campaign.id)
                           .order_by(trackier_landing_pages.c.int_id)).all())


def _landing_page_fields(data: dict, problems: Problems, *, partial: bool) -> dict:
    values: dict = {}
    title = fields.text(data, "title", problems, required=not partial)
    if title is not None:
        values["title"] = title
    for name in ("preview_url", "url"):
        value = fields.url(data, name, problems, required=not partial)
        if value is not None:
            values[name] = value
    return values


def create_landing_page(db: Db, clock: Clock, campaign: Row, data: dict) -> None:
    problems: Problems = {}
    values = _landing_page_fields(data, problems, partial=False)
    if problems:
        raise errors.invalid(problems)
    # int_id counts per campaign; the sequence is bumped atomically like display ids
    int_id = next_sequence_value(db, campaign.network_id, f"lp:{campaign.id}")
    db.execute(trackier_landing_pages.insert().values(object_id=new_object_id(clock), campaign_id=campaign.id,
                                                      int_id=int_id, modified_at=None, **values))


def edit_landing_page(db: Db, clock: Clock, campaign: Row, ident: str, data: dict) -> None:
    row = _child(db, trackier_landing_pages, campaign, ident)
    problems: Problems = {}
    values = _landing_page_fields(data, problems, partial=True)
    if problems:
        raise errors.invalid(problems)
    db.execute(update(trackier_landing_pages).where(trackier_landing_pages.c.id == row.id).values(
        modified_at=clock.timestamp(), **values))


def delete_landing_page(db: Db, campaign: Row, ident: str) -> None:
    row = _child(db, trackier_landing_pages, campaign, ident)
    db.execute(delete(trackier_landing_pages).where(trackier_landing_pages.c.id == row.id))


# --- publisher-specific payouts ---------------------------------------------------------------

def list_pub_payouts(db: Db, campaign: Row, *, publisher: str | None = None) -> list[Row]:
    """The campaign's overrides (with their goal's _id), or those naming one publisher's _id."""
    rows = db.execute(select(trackier_pub_payouts, trackier_goals.c.object_id.label("goal_object_id"))
                      .outerjoin(trackier_goals, trackier_goals.c.id == trackier_pub_payouts.c.goal_id)
                      .where(trackier_pub_payouts.c.campaign_id == campaign.id)
                      .order_by(trackier_pub_payouts.c.id)).all()
    if publisher is not None:
        rows = [row for row in rows if publisher in json.loads(row.pids)]
    return list(rows)


def find_publisher(db: Db, network: Network, ident: str) -> Row:
    """An undeleted publisher of the network by _id or display id; 404/31 if none."""
    where = by_ident(trackier_users, ident, display_ids=True)
    row = None if where is None else db.execute(select(trackier_users).where(
        where, trackier_users.c.network_id == network.id, trackier_users.c.type == "publisher",
        trackier_users.c.deleted.is_(False))).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def _pub_payout_fields(db: Db, network: Network, campaign: Row, data: dict, problems: Problems, *,
                       partial: bool) -> dict:
    """goal_id (a goal of the campaign; absent or null: the campaign's default commission),
    pids, crev (0/1: also override the revenue), payout, revenue (needed with crev), coverage."""
    values: dict = {}
    if data.get("goal_id") not in (None, ""):
        where = by_ident(trackier_goals, fields.ident(data, "goal_id", problems) or "")
        goal_id = None if where is None else db.execute(select(trackier_goals.c.id).where(
            where, trackier_goals.c.campaign_id == campaign.id, trackier_goals.c.deleted.is_(False))).scalar()
        if goal_id is None and "goal_id" not in problems:
            note(problems, "goal_id", "Goal not found in this campaign")
        values["goal_id"] = goal_id
    elif not partial:
        values["goal_id"] = None
    pids = publisher_ids(db, network, data, "pids", problems, allow_all=False)
    if pids is not None:
        values["pids"] = json.dumps(pids)
    elif not partial and "pids" not in problems:
        note(problems, "pids", "Pids is required")
    crev = fields.boolean(data, "crev", problems)
    if crev is not None or not partial:
        values["crev"] = bool(crev)
    rate = fields.money(data, "payout", problems, required=not partial)
    if rate is not None:
        values["rate_micros"] = rate
    revenue = fields.money(data, "revenue", problems, required=bool(crev) and not partial)
    if revenue is not None:
        values["revenue_micros"] = revenue
    countries = coverage(data, "coverage", problems)
    if countries is not None or not partial:
        values["coverage"] = json.dumps(countries or [ALL])
    return values


def create_pub_payout(db: Db, clock: Clock, network: Network, campaign: Row, data: dict) -> Row:
    problems: Problems = {}
    values = _pub_payout_fields(db, network, campaign, data, problems, partial=False)
    if problems:
        raise errors.invalid(problems)
    object_id = new_object_id(clock)
    db.execute(trackier_pub_payouts.insert().values(object_id=object_id, campaign_id=campaign.id, **values))
    return find_pub_payout(db, campaign, object_id)


def find_pub_payout(db: Db, campaign: Row, ident: str) -> Row:
    _child(db, trackier_pub_payouts, campaign, ident)  # 404 unless it is the campaign's
    return next(row for row in list_pub_payouts(db, campaign) if row.object_id == ident.strip().lower())


def edit_pub_payout(db: Db, network: Network, campaign: Row, ident: str, data: dict) -> Row:
    row = find_pub_payout(db, campaign, ident)
    problems: Problems = {}
    values = _pub_payout_fields(db, network, campaign, data, problems, partial=True)
    if (values.get("crev", row.crev)) and values.get("revenue_micros", row.revenue_micros) is None:
        note(problems, "revenue", "Revenue is required when crev is 1")
    if problems:
        raise errors.invalid(problems)
    if values:
        db.execute(update(trackier_pub_payouts).where(trackier_pub_payouts.c.id == row.id).values(**values))
    return find_pub_payout(db, campaign, row.object_id)


def delete_pub_payout(db: Db, campaign: Row, ident: str) -> None:
    row = _child(db, trackier_pub_payouts, campaign, ident)
    db.execute(delete(trackier_pub_payouts).where(trackier_pub_payouts.c.id == row.id))


# --- publisher access -------------------------------------------------------------------------

def assign_publishers(db: Db, clock: Clock, network: Network, data: dict) -> None:
    """POST /campaign/assign-publisher: every listed publisher gets (live) access to every
    listed campaign; a pending request is granted."""
    problems: Problems = {}
    publishers = publisher_ids(db, network, data, "publisher_ids", problems, allow_all=False)
    if publishers is None and "publisher_ids" not in problems:
        note(problems, "publisher_ids", "Publisher ids is required")
    idents = fields.string_list(data, "campaign_ids", problems, required=True, max_length=24)
    campaigns = []
    for ident in idents or []:
        try:
            campaigns.append(find_campaign(db, network, ident))
        except TrackierError:
            note(problems, "campaign_ids", f"unknown campaign: {ident}")
    if problems:
        raise errors.invalid(problems)
    user_ids = db.execute(select(trackier_users.c.id).where(trackier_users.c.object_id.in_(publishers or []))).scalars()
    for user_id in list(user_ids):
        for campaign in campaigns:
            set_access(db, clock, campaign.id, user_id, live=True)


def set_access(db: Db, clock: Clock, campaign_id: int, user_id: int, *, live: bool, message: str | None = None) -> Row:
    """Create or update a publisher's access row for a campaign."""
    where = and_(trackier_campaign_access.c.campaign_id == campaign_id, trackier_campaign_access.c.user_id == user_id)
    row = db.execute(select(trackier_campaign_access).where(where)).first()
    if row is None:
        db.execute(trackier_campaign_access.insert().values(
            object_id=new_object_id(clock), campaign_id=campaign_id, user_id=user_id, live=live, message=message,
            created_at=clock.timestamp()))
    elif live and not row.live:
        db.execute(update(trackier_campaign_access).where(where).values(live=True))
    return db.execute(select(trackier_campaign_access).where(where)).one()


# --- tracking domains and links ---------------------------------------------------------------

def tracking_domains(db: Db, network: Network) -> list[str]:
    text = db.execute(select(trackier_networks.c.domains).where(trackier_networks.c.id == network.id)).scalar()
    return loads(text, [])


def set_tracking_domains(db: Db, network: Network, domains) -> list[str] | None:
    """PUT /campaign/domains: replaces the list; None (nothing changed) unless `domains` is a
    list of host names."""
    if not isinstance(domains, list) or len(domains) > 100:
        return None
    cleaned = [d.strip().lower() for d in domains if isinstance(d, str)]
    if len(cleaned) != len(domains) or not all(HOST_RE.match(d) for d in cleaned):
        return None
    cleaned = list(dict.fromkeys(cleaned))
    db.execute(update(trackier_networks).where(trackier_networks.c.id == network.id).values(domains=json.dumps(cleaned)))
    return cleaned


def find_link(db: Db, campaign: Row, publisher_id: int) -> Row | None:
    return db.execute(select(trackier_links).where(trackier_links.c.campaign_id == campaign.id,
                                                   trackier_links.c.user_id == publisher_id)).first()


def create_link(db: Db, clock: Clock, network: Network, campaign: Row, publisher_id: int, data: dict, *,
                live: bool) -> tuple[Row, bool]:
    """The (affiliate, campaign) link; `domain` must be one of the network's tracking domains.
    Returns (link, created): an existing link is returned as it is."""
    problems: Problems = {}
    domain = fields.text(data, "domain", problems)
    if domain is not None and domain.lower() not in tracking_domains(db, network):
        note(problems, "domain", "Domain must be one of the network's tracking domains (GET /campaign/domains)")
    if problems:
        raise errors.invalid(problems)
    existing = find_link(db, campaign, publisher_id)
    if existing is not None:
        return existing, False
    db.execute(trackier_links.insert().values(
        object_id=new_object_id(clock), campaign_id=campaign.id, user_id=publisher_id,
        domain=domain.lower() if domain else None, live=live, created_at=clock.timestamp(), modified_at=None))
    return find_link(db, campaign, publisher_id), True  # type: ignore[return-value]
