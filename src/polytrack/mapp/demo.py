"""Mapp demo data and its fixed sandbox credentials."""

from __future__ import annotations

import contextlib
import json
import shlex
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from polytrack.config import Settings
from polytrack.kernel.sql import Db
from polytrack.kernel.dates import zone
from polytrack.mapp import demo_hits, domain, imports
from polytrack.mapp.analysis import hit_keys
from polytrack.mapp.collect.importer import ImportReport, store_log
from polytrack.mapp.collect.store import destination
from polytrack.mapp.tables import mapp_accounts, mapp_hits, mapp_users


DEMO_ACCOUNTS = (("111111111111111", "Demo shop"), ("222222222222222", "Demo blog"))
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-pass"
# the shop's uploads (importData): a product line per product, a title and channel per campaign
PRODUCT_LINES = {"runner-x": "Footwear", "trail-pro": "Footwear", "city-walk": "Footwear", "summer-sandal": "Footwear",
                 "basic-tee": "Apparel", "linen-shirt": "Apparel", "polo-classic": "Apparel", "rain-jacket": "Apparel"}
# a time-dependent upload (basket_categories_time): these products are on sale for the last two
# weeks, the others (and these before) at full price
ON_SALE = ("summer-sandal", "linen-shirt", "basic-tee")
SALE_DAYS = 14
CAMPAIGN_TITLES = {"newsletter.weekly": ("Weekly newsletter", "E-Mail"), "google.ads.shoes": ("Shoes on Google Ads", "Paid search"),
                   "facebook.summer": ("Summer on Facebook", "Social"), "partner.blog": ("Partner blog", "Affiliate")}


def seed(services, db: Db) -> None:
    """Create what is missing; running it again changes nothing. The shop gets a month of hits
    (demo_hits.py) through the import path, so they are sessionised and aggregated like live ones."""
    clock = services.clock
    for customer_id, title in DEMO_ACCOUNTS:
        if db.execute(select(mapp_accounts.c.id).where(mapp_accounts.c.customer_id == customer_id)).first() is None:
            domain.create_account(db, clock, title=title, customer_id=customer_id)
    customer_ids = [customer_id for customer_id, _ in DEMO_ACCOUNTS]
    if db.execute(select(mapp_users.c.id).where(mapp_users.c.login == DEMO_LOGIN)).first() is None:
        domain.create_user(db, clock, login=DEMO_LOGIN, password=DEMO_PASSWORD, customer_ids=customer_ids)
    else:
        domain.grant(db, clock, login=DEMO_LOGIN, customer_ids=customer_ids)
    shop = DEMO_ACCOUNTS[0][0]
    account_id = db.execute(select(mapp_accounts.c.id).where(mapp_accounts.c.customer_id == shop)).scalar_one()
    if db.execute(select(mapp_hits.c.id).where(mapp_hits.c.account_id == account_id).limit(1)).first() is None:
        report = ImportReport()
        lines = enumerate(demo_hits.hit_log(clock.now(), zone(domain.DEFAULT_TIMEZONE)), start=1)
        store_log(lambda: contextlib.nullcontext(db), lambda track_id: destination(db, track_id), lines,
                  default_track_id=shop, report=report)
        import_categories(db, clock, account_id)


def import_categories(db: Db, clock, account_id: int) -> None:
    """What a shop uploads with importData, so its columns are analysis objects from the start:
    a product line per product, a title and channel per campaign, a customer group per
    logged-in customer (the groups follow the customer ids the month's hits carry), a pricing
    per product that changed two weeks ago (time-dependent), and whether each order of the month
    was returned (an e-commerce parameter by order id, as a shop learns it after the order)."""
    account_zone = zone(domain.DEFAULT_TIMEZONE)
    sale_start = (clock.now().astimezone(account_zone).date() - timedelta(days=SALE_DAYS)).isoformat()
    pricing = [["Products", "Valid from", "Category (Text) – Pricing"]] + [
        [product, "", "Full price"] for product in PRODUCT_LINES] + [[product, sale_start, "Sale"] for product in ON_SALE]
    products = [["Products", "Category (Text) – Product line"]] + [[product, line] for product, line in PRODUCT_LINES.items()]
    campaigns = [["Action (delete, suggest)", "Advertising Media Title*", "DataSourceValue*", "Category (Text) – Channel"]] + [
        ["", title, code, channel] for code, (title, channel) in CAMPAIGN_TITLES.items()]
    customers: Any = db.execute(select(mapp_hits.c.customer).distinct().where(
        mapp_hits.c.account_id == account_id, mapp_hits.c.customer != "").order_by(mapp_hits.c.customer))
    groups = [["Customer", "URM – Customer group"]] + [
        [customer, ("Gold", "Silver", "Bronze")[int(customer[1:]) % 3]] for (customer,) in customers]
    orders: Any = db.execute(select(mapp_hits.c.query).where(
        mapp_hits.c.account_id == account_id, mapp_hits.c.query.like("%oi=%")).order_by(mapp_hits.c.id))
    order_ids = sorted({order_id for (query,) in orders for order_id in hit_keys.ORDERS.keys_of(query)})
    returns = [["Order ID", "Parameter (Text) - Return status"]] + [
        [order_id, "Returned" if index % 12 == 5 else "Kept"] for index, order_id in enumerate(order_ids)]
    for upload_type, rows in (("product_categories", products), ("campaigns", campaigns), ("customer_categories", groups),
                              ("basket_categories_time", pricing), ("ecommerce_parameters", returns)):
        imports.import_data(db, clock, account_id, account_zone, upload_type, rows)


def credentials(base_url: str, _settings: Settings | None = None) -> dict:
    return {
        "mapp": {
            "url": f"{base_url}/cgi-bin/wt/JSONRPC.cgi",
            "login": DEMO_LOGIN,
            "pass": DEMO_PASSWORD,
            "customerId": DEMO_ACCOUNTS[0][0],
            "track_id": DEMO_ACCOUNTS[0][0],
            "pixel_url": f"{base_url}/{DEMO_ACCOUNTS[0][0]}/wt",
        }
    }


def curl_examples(base_url: str, creds: dict) -> list[str]:
    mapp = creds["mapp"]
    request = {
        "params": {"login": mapp["login"], "pass": mapp["pass"], "customerId": mapp["customerId"], "language": "en"},
        "version": "1.1",
        "method": "login",
    }
    # curl -d sends a form Content-Type, like the Ruby client: the server reads JSON anyway.
    return [f"curl -s {shlex.quote(mapp['url'])} -d {shlex.quote(json.dumps(request))}"]
