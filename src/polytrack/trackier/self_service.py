"""What the Advertiser and Affiliate APIs read and change beyond the network's functions: the
caller's own user, its account edits, the campaigns it may see, access requests.

Every function is scoped to the key's user: an advertiser sees its own campaigns only, an
affiliate the active campaigns it may run (public ones, private ones it was granted, and
permission-only ones, which it may ask to run).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.secrets import hash_password, verify_password
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields
from polytrack.trackier.campaigns import CAMPAIGN, find_campaign, set_access
from polytrack.trackier.domain import (
    MAX_PASSWORD_LENGTH, USER_BY_ID, USER_CURRENCIES, Network, UserRow, check_currency,
)
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.tables import trackier_campaign_access, trackier_campaigns, trackier_links, trackier_users
from polytrack.trackier.schema import STRING, choice, form

ACCOUNT_ACTIONS = ("password", "basic_info")


# The request bodies (schema.py; the OpenAPI document).
ACCOUNT_BODY = form(action=choice(ACCOUNT_ACTIONS), old_password=STRING, new_password=STRING, name=STRING,
                    username=STRING, phone=STRING, currency=STRING, required=("action",))
ACCESS_REQUEST_BODY = form(message=STRING, required=("message",))


def own_user(db: Db, network: Network, user_id: int | None) -> UserRow:
    row = db.one(USER_BY_ID, (network.id, user_id))
    if row is None:  # the key's user was deleted since the key was checked
        raise TrackierError(errors.ACCOUNT_LOCKED)
    return UserRow._make(row)


def edit_account(db: Db, clock: Clock, user: UserRow, data: dict) -> tuple[str | None, list[str]]:
    """PATCH /advertiser/account, /affiliate/account: `action` password (old_password,
    new_password) or basic_info (name, phone, currency, username). Returns (message, errors):
    a wrong old password is an error of the answer (success false), not a 400."""
    problems: fields.Problems = {}
    action = fields.choice(data, "action", problems, ACCOUNT_ACTIONS, required=True)
    values: dict = {}
    if action == "password":
        old = fields.text(data, "old_password", problems, required=True, max_length=MAX_PASSWORD_LENGTH)
        new = fields.text(data, "new_password", problems, required=True, max_length=MAX_PASSWORD_LENGTH)
        if problems:
            raise errors.invalid(problems)
        if not verify_password(old or "", user.password_hash):
            return None, ["Old password is not correct"]
        values["password_hash"] = hash_password(new or "")
        message = "Password updated successfully!!"
    else:
        for name in ("name", "username"):
            value = fields.text(data, name, problems)
            if value is not None:
                values[name] = value
        phone = fields.text(data, "phone", problems, max_length=64)
        if phone is not None:
            values["phone"] = phone
        currency = fields.choice(data, "currency", problems, (*USER_CURRENCIES, "RUR"))
        if currency is not None:
            values["currency"] = check_currency(currency)
        message = "Account updated successfully!!"
    if problems:
        raise errors.invalid(problems)
    db.execute(update(trackier_users).where(trackier_users.c.id == user.id).values(
        modified_at=clock.timestamp(), **values))
    return message, []


# --- advertisers: their own campaigns ---------------------------------------------------------

def advertiser_campaigns(db: Db, network: Network, advertiser_id: int, *, limit: int, page: int
                         ) -> tuple[list[Row], int]:
    where = [trackier_campaigns.c.network_id == network.id, trackier_campaigns.c.deleted.is_(False),
             trackier_campaigns.c.advertiser_id == advertiser_id]
    total = db.execute(select(func.count()).select_from(trackier_campaigns).where(*where)).scalar_one()
    rows = db.execute(CAMPAIGN.where(*where).order_by(trackier_campaigns.c.display_id.desc())
                      .limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


def advertiser_campaign(db: Db, network: Network, advertiser_id: int, ident: str) -> Row:
    """One of the advertiser's campaigns; 404/31 for any other."""
    campaign = find_campaign(db, network, ident)
    if campaign.advertiser_id != advertiser_id:
        raise TrackierError(errors.NOT_FOUND)
    return campaign


# --- affiliates: the campaigns they may run ---------------------------------------------------

def _visible(publisher_id: int):
    """Active, live campaigns an affiliate may see: public, permission-only, or granted to it."""
    granted = select(trackier_campaign_access.c.campaign_id).where(
        trackier_campaign_access.c.user_id == publisher_id, trackier_campaign_access.c.live.is_(True))
    return and_(trackier_campaigns.c.deleted.is_(False), trackier_campaigns.c.status == "active",
                trackier_campaigns.c.live.is_(True),
                or_(trackier_campaigns.c.visibility.in_(("public", "permission")),
                    trackier_campaigns.c.id.in_(granted)))


def affiliate_campaigns(db: Db, network: Network, publisher_id: int, *, permission_only: bool, model: str | None,
                        limit: int, page: int) -> tuple[list[Row], int]:
    """The feed: `permission_only` lists the permission-only campaigns the affiliate has no
    access to yet (status=requestPermission)."""
    where = [trackier_campaigns.c.network_id == network.id, _visible(publisher_id)]
    if permission_only:
        granted = select(trackier_campaign_access.c.campaign_id).where(
            trackier_campaign_access.c.user_id == publisher_id, trackier_campaign_access.c.live.is_(True))
        where += [trackier_campaigns.c.visibility == "permission", trackier_campaigns.c.id.not_in(granted)]
    if model:
        where.append(trackier_campaigns.c.comm_model == model)
    total = db.execute(select(func.count()).select_from(trackier_campaigns).where(*where)).scalar_one()
    rows = db.execute(CAMPAIGN.where(*where).order_by(trackier_campaigns.c.display_id.desc())
                      .limit(limit).offset((page - 1) * limit)).all()
    return list(rows), total


def affiliate_campaign(db: Db, network: Network, publisher_id: int, ident: str) -> Row:
    """A campaign the affiliate may see; 404/31 for any other."""
    campaign = find_campaign(db, network, ident)
    visible = db.execute(select(trackier_campaigns.c.id).where(trackier_campaigns.c.id == campaign.id,
                                                               _visible(publisher_id))).first()
    if visible is None:
        raise TrackierError(errors.NOT_FOUND)
    return campaign


def access_of(db: Db, campaign: Row, publisher_id: int) -> Row | None:
    return db.execute(select(trackier_campaign_access).where(
        trackier_campaign_access.c.campaign_id == campaign.id,
        trackier_campaign_access.c.user_id == publisher_id)).first()


def may_run(db: Db, campaign: Row, publisher_id: int) -> bool:
    """Public campaigns, and others the affiliate has live access to."""
    access = access_of(db, campaign, publisher_id)
    return campaign.visibility == "public" or (access is not None and bool(access.live))


def request_access(db: Db, clock: Clock, campaign: Row, publisher_id: int, data: dict) -> tuple[Row, bool]:
    """POST /affiliate/requestAccess/{campaignId}: (the access row, whether it is new)."""
    problems: fields.Problems = {}
    message = fields.text(data, "message", problems, required=True, max_length=2000)
    if problems:
        raise errors.invalid(problems)
    existing = access_of(db, campaign, publisher_id)
    if existing is not None:
        return existing, False
    return set_access(db, clock, campaign.id, publisher_id, live=False, message=message), True


def linked_campaigns(db: Db, network: Network, publisher_id: int) -> list[tuple[Row, Row]]:
    """The undeleted campaigns the affiliate has a link on, with the link."""
    found = []
    for link in db.execute(select(trackier_links).where(trackier_links.c.user_id == publisher_id)
                           .order_by(trackier_links.c.id)):
        campaign = db.execute(select(trackier_campaigns).where(trackier_campaigns.c.id == link.campaign_id,
                                                               trackier_campaigns.c.network_id == network.id,
                                                               trackier_campaigns.c.deleted.is_(False))).first()
        if campaign is not None:
            found.append((campaign, link))
    return found


def site_of(url: str) -> str:
    """A URL's host without `www.`, lower-case; "" for none."""
    try:
        host = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}").hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host
