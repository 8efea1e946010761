"""Referral links: a publisher's link for signing up other publishers, with the share it earns
of their payout or profit. Stored and managed here; the sign-up page and the referral earnings
are not part of the API."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields
from polytrack.trackier.campaigns import by_ident, find_publisher
from polytrack.trackier.domain import Network, new_object_id
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.tables import trackier_referrals, trackier_users
from polytrack.trackier.schema import BOOLEAN, NUMBER, STRING, choice, form

BASES = ("payout", "profit")
TYPES = ("percentage", "amount")

REFERRAL = select(trackier_referrals, trackier_users.c.object_id.label("user_object_id")).join(
    trackier_users, trackier_users.c.id == trackier_referrals.c.user_id)


# The request body (schema.py; the OpenAPI document).
REFERRAL_FIELDS = dict(publisher_id=STRING, recurring=BOOLEAN, base=choice(BASES), type=choice(TYPES), rate=NUMBER,
                       live=BOOLEAN)
REFERRAL_BODY = form(**REFERRAL_FIELDS, required=("publisher_id",))
REFERRAL_EDIT_BODY = form(**REFERRAL_FIELDS)


def list_referrals(db: Db, network: Network) -> list[Row]:
    return list(db.execute(REFERRAL.where(trackier_referrals.c.network_id == network.id,
                                          trackier_referrals.c.deleted.is_(False))
                           .order_by(trackier_referrals.c.id)).all())


def find_referral(db: Db, network: Network, ident: str) -> Row:
    where = by_ident(trackier_referrals, ident)
    row = None if where is None else db.execute(REFERRAL.where(
        where, trackier_referrals.c.network_id == network.id, trackier_referrals.c.deleted.is_(False))).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    return row


def _fields(db: Db, network: Network, data: dict, *, creating: bool) -> dict:
    problems: fields.Problems = {}
    values: dict = {}
    ident = fields.ident(data, "publisher_id", problems, required=creating)
    if ident is not None:
        try:
            values["user_id"] = find_publisher(db, network, ident).id
        except TrackierError:
            fields.note(problems, "publisher_id", "Publisher not found")
    for name in ("recurring", "live"):
        flag = fields.boolean(data, name, problems)
        if flag is not None:
            values[name] = flag
    base = fields.choice(data, "base", problems, BASES)
    if base is not None:
        values["base"] = base
    kind = fields.choice(data, "type", problems, TYPES)
    if kind is not None:
        values["type"] = kind
    rate = fields.money(data, "rate", problems)
    if rate is not None:
        values["rate_micros"] = rate
    if problems:
        raise errors.invalid(problems)
    return values


def create_referral(db: Db, clock: Clock, network: Network, data: dict) -> Row:
    values = {"recurring": True, "base": "payout", "type": "percentage", "rate_micros": 0, "live": True,
              **_fields(db, network, data, creating=True)}
    object_id = new_object_id(clock)
    db.execute(trackier_referrals.insert().values(object_id=object_id, network_id=network.id, deleted=False,
                                                  created_at=clock.timestamp(), modified_at=None, **values))
    return find_referral(db, network, object_id)


def edit_referral(db: Db, clock: Clock, network: Network, ident: str, data: dict) -> Row:
    row = find_referral(db, network, ident)
    values = _fields(db, network, data, creating=False)
    db.execute(update(trackier_referrals).where(trackier_referrals.c.id == row.id).values(
        modified_at=clock.timestamp(), **values))
    return find_referral(db, network, row.object_id)


def delete_referral(db: Db, clock: Clock, network: Network, ident: str) -> None:
    row = find_referral(db, network, ident)
    db.execute(update(trackier_referrals).where(trackier_referrals.c.id == row.id).values(
        deleted=True, modified_at=clock.timestamp()))
