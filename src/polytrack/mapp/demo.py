"""Mapp demo data and its fixed sandbox credentials."""

from __future__ import annotations

import json
import shlex

from sqlalchemy import select

from polytrack.config import Settings
from polytrack.kernel.sql import Db
from polytrack.mapp import domain
from polytrack.mapp.tables import mapp_accounts, mapp_users


DEMO_ACCOUNTS = (("111111111111111", "Demo shop"), ("222222222222222", "Demo blog"))
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-pass"


def seed(services, db: Db) -> None:
    """Create what is missing; running it again changes nothing."""
    clock = services.clock
    for customer_id, title in DEMO_ACCOUNTS:
        if db.execute(select(mapp_accounts.c.id).where(mapp_accounts.c.customer_id == customer_id)).first() is None:
            domain.create_account(db, clock, title=title, customer_id=customer_id)
    customer_ids = [customer_id for customer_id, _ in DEMO_ACCOUNTS]
    if db.execute(select(mapp_users.c.id).where(mapp_users.c.login == DEMO_LOGIN)).first() is None:
        domain.create_user(db, clock, login=DEMO_LOGIN, password=DEMO_PASSWORD, customer_ids=customer_ids)
    else:
        domain.grant(db, clock, login=DEMO_LOGIN, customer_ids=customer_ids)


def credentials(base_url: str, _settings: Settings | None = None) -> dict:
    return {
        "mapp": {
            "url": f"{base_url}/cgi-bin/wt/JSONRPC.cgi",
            "login": DEMO_LOGIN,
            "pass": DEMO_PASSWORD,
            "customerId": DEMO_ACCOUNTS[0][0],
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
