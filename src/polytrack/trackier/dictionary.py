"""The network's dictionary: campaign categories and the custom fields of advertisers and
affiliates (the fixed country and device maps are in dictionary_data.py); and the network's
own account settings."""

from __future__ import annotations

import json
import re

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Row

from polytrack.kernel.clock import Clock
from polytrack.kernel.sql import Db
from polytrack.trackier import errors, fields
from polytrack.trackier.campaigns import by_ident
from polytrack.trackier.domain import Network, check_currency, new_object_id
from polytrack.trackier.errors import TrackierError
from polytrack.trackier.fields import Problems, note
from polytrack.trackier.tables import trackier_campaigns, trackier_categories, trackier_custom_fields, trackier_networks
from polytrack.trackier.schema import BOOLEAN, STRING, choice, form

FIELD_TYPES = ("text", "file", "date", "email")


# --- categories -------------------------------------------------------------------------------

# The request bodies (schema.py; the OpenAPI document).
CATEGORY_BODY = form(name=STRING, required=("name",))
CUSTOM_FIELD_BODY = form(fname=STRING, ftype=choice(FIELD_TYPES), frequired=BOOLEAN, required=("fname",))
ACCOUNT_BODY = form(name=STRING, url=STRING, email=STRING, support=STRING, termsurl=STRING, currency=STRING)


def list_categories(db: Db, network: Network) -> list[Row]:
    return list(db.execute(select(trackier_categories).where(trackier_categories.c.network_id == network.id)
                           .order_by(trackier_categories.c.name)).all())


def create_category(db: Db, clock: Clock, network: Network, data: dict) -> Row:
    problems: Problems = {}
    name = fields.text(data, "name", problems, required=True)
    if problems:
        raise errors.invalid(problems)
    taken = db.execute(select(trackier_categories.c.id).where(trackier_categories.c.network_id == network.id,
                                                              trackier_categories.c.name == name)).first()
    if taken:
        raise TrackierError(errors.DUPLICATED, errors={"name": ["Category already exists"]})
    object_id = new_object_id(clock)
    db.execute(trackier_categories.insert().values(object_id=object_id, network_id=network.id, name=name))
    return db.execute(select(trackier_categories).where(trackier_categories.c.object_id == object_id)).one()


def delete_category(db: Db, network: Network, ident: str) -> bool:
    """False (nothing removed) while a live campaign names the category, by name or _id."""
    where = by_ident(trackier_categories, ident)
    row = None if where is None else db.execute(select(trackier_categories).where(
        where, trackier_categories.c.network_id == network.id)).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    # campaigns store the list as sent (names or ids): look for either, quoted, in the JSON text
    in_use = db.execute(select(trackier_campaigns.c.id).where(
        trackier_campaigns.c.network_id == network.id, trackier_campaigns.c.deleted.is_(False),
        or_(trackier_campaigns.c.category.contains(json.dumps(row.name)),
            trackier_campaigns.c.category.contains(json.dumps(row.object_id))))).first()
    if in_use:
        return False
    db.execute(delete(trackier_categories).where(trackier_categories.c.id == row.id))
    return True


# --- custom fields ----------------------------------------------------------------------------

def field_name(label: str) -> str:
    """The label in lower snake case: "Test Custom Field" -> test_custom_field."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_") or "field"


def list_custom_fields(db: Db, network: Network, user_type: str) -> list[Row]:
    return list(db.execute(select(trackier_custom_fields).where(
        trackier_custom_fields.c.network_id == network.id, trackier_custom_fields.c.user_type == user_type)
        .order_by(trackier_custom_fields.c.id)).all())


def create_custom_field(db: Db, clock: Clock, network: Network, user_type: str, data: dict) -> Row:
    """fname (the label, required), ftype (text), frequired (true)."""
    problems: Problems = {}
    label = fields.text(data, "fname", problems, required=True, label="Fname")
    ftype = fields.choice(data, "ftype", problems, FIELD_TYPES) or "text"
    required = fields.boolean(data, "frequired", problems)
    if problems:
        raise errors.invalid(problems)
    assert label is not None
    name = field_name(label)
    taken = db.execute(select(trackier_custom_fields.c.id).where(
        trackier_custom_fields.c.network_id == network.id, trackier_custom_fields.c.user_type == user_type,
        trackier_custom_fields.c.name == name)).first()
    if taken:
        raise TrackierError(errors.DUPLICATED, errors={"fname": [f"A custom field named {name} exists"]})
    object_id = new_object_id(clock)
    db.execute(trackier_custom_fields.insert().values(
        object_id=object_id, network_id=network.id, user_type=user_type, label=label, name=name, ftype=ftype,
        required=True if required is None else required))
    return db.execute(select(trackier_custom_fields).where(trackier_custom_fields.c.object_id == object_id)).one()


def delete_custom_field(db: Db, network: Network, user_type: str, ident: str) -> None:
    where = by_ident(trackier_custom_fields, ident)
    row = None if where is None else db.execute(select(trackier_custom_fields.c.id).where(
        where, trackier_custom_fields.c.network_id == network.id,
        trackier_custom_fields.c.user_type == user_type)).first()
    if row is None:
        raise TrackierError(errors.NOT_FOUND)
    db.execute(delete(trackier_custom_fields).where(trackier_custom_fields.c.id == row.id))


# --- the network's account --------------------------------------------------------------------

def network_row(db: Db, network: Network) -> Row:
    return db.execute(select(trackier_networks).where(trackier_networks.c.id == network.id)).one()


def edit_network(db: Db, clock: Clock, network: Network, data: dict) -> Row:
    """PATCH /network/account: name, url, email (support e-mail), support, termsurl, currency."""
    problems: Problems = {}
    values: dict = {}
    for name, column in (("name", "name"), ("url", "url"), ("support", "support_url"), ("termsurl", "terms_url")):
        value = fields.text(data, name, problems)
        if value is not None:
            values[column] = value
    email = fields.text(data, "email", problems)
    if email is not None:
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            values["support_email"] = email
        else:
            note(problems, "email", "Email is not a valid e-mail address")
    currency = fields.text(data, "currency", problems, max_length=3)
    if currency is not None:
        try:
            values["currency"] = check_currency(currency)
        except ValueError:
            note(problems, "currency", "Currency must be a 3-letter code")
    if problems:
        raise errors.invalid(problems)
    db.execute(update(trackier_networks).where(trackier_networks.c.id == network.id).values(
        modified_at=clock.timestamp(), **values))
    return network_row(db, network)
