"""Mapp demo data and its fixed sandbox credentials."""

from __future__ import annotations

import contextlib
import json
import shlex

from sqlalchemy import select

from polytrack.config import Settings
from polytrack.kernel.sql import Db
from polytrack.kernel.dates import zone
from polytrack.mapp import demo_hits, domain
from polytrack.mapp.collect.importer import ImportReport, store_log
from polytrack.mapp.collect.store import destination
from polytrack.mapp.tables import mapp_accounts, mapp_hits, mapp_users


DEMO_ACCOUNTS = (("111111111111111", "Demo shop"), ("222222222222222", "Demo blog"))
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-pass"


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
