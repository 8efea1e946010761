"""AvidTrak demo data: the vendor documentation's example accounts, with fixed pincodes, their
numbers and three weeks of visits and calls.

Agency acme_agency (pincode 4815162342, 50.00 credit), its pro client joesplumbing
(7300914852, site_key A51fc715d02561b62de8865a227adbe7d70b) and its lite client mikesradio
(6021774410). joesplumbing has Google PPC, organic and universal numbers forwarding to
410-555-9876, a round robin on 410-555-0100, the Towson metro site, and 410-555-7000 on its
website to swap; mikesradio the "Spring Mailer" campaign. Seeding skips what exists.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from polytrack.avidtrak import billing, calls, dni, domain, numbers, reports, values
from polytrack.avidtrak.providers import SandboxProvider
from polytrack.avidtrak.server_keys import server_keys
from polytrack.config import Settings
from polytrack.kernel.sql import Db
from polytrack.services import Services


AGENCY: dict[str, Any] = {
    "userid": "acme_agency", "pincode": "4815162342", "password": "AcmeDemo2024",
    "email": "ops@acme-agency.example", "contact_name": "Acme Agency",
}
AGENCY_CREDIT = Decimal("50.00")
CLIENTS: list[dict[str, Any]] = [
    {
        "userid": "joesplumbing", "pincode": "7300914852", "password": "Pipes2024", "account_type": "pro",
        "email": "owner@joesplumbing.example", "contact_name": "Joseph Smith", "contact_number": "4105557788",
        "domain": "www.joesplumbing.example", "site_key": "A51fc715d02561b62de8865a227adbe7d70b",
    },
    {"userid": "mikesradio", "pincode": "6021774410", "password": "Radio2024", "account_type": "lite"},
]


HISTORY_DAYS = 21  # visits and calls on the days before the day of seeding
SITE_PHONE = "4105557000"  # the number printed on joesplumbing's website
DEFAULT_FORWARD, MIKES_FORWARD = "4105559876", "4105558800"
# (number, owner, type, assign_type): the vendor documentation's example numbers and a few more
NUMBERS = [
    ("8005550100", "acme_agency", "toll", ""),
    ("4105550100", "joesplumbing", "local", "gppc"),
    ("4105550103", "joesplumbing", "local", "gppc"),
    ("4105550104", "joesplumbing", "local", "gseo"),
    ("4105550105", "joesplumbing", "local", "universal"),
    ("4105550102", "joesplumbing", "local", ""),  # allocated to the Towson metro site
    ("4105550101", "mikesradio", "local", "lite"),
]
# How visitors reach joesplumbing's site: (weight, landing query, referrer)
SOURCES = [
    (5, "?gclid=EAIaIQ{n}&utm_term={keyword}", "https://www.google.com/"),
    (3, "", "https://www.google.com/search?q={keyword}"),
    (1, "", "https://www.bing.com/search?q={keyword}"),
    (1, "", "https://yelp.example/biz/joes-plumbing"),
    (2, "", ""),
]
KEYWORDS = ["emergency plumber baltimore", "water heater repair", "clogged drain", "leaky faucet fix",
            "sump pump installation"]
PAGES = ["", "services", "contact", "water-heaters"]


def seed(services: Services, db: Db) -> None:
    keys, now = server_keys(services.settings), services.clock.now()
    agency = domain.account_by_userid(db, AGENCY["userid"])
    if agency is None:
        agency = domain.create_account(db, keys, now, kind="agency", **AGENCY).account
        domain.add_credit(db, agency, AGENCY_CREDIT, "demo credit", now)
    for client in CLIENTS:
        if domain.account_by_userid(db, client["userid"]) is None:
            domain.create_account(db, keys, now, kind="client", agency=agency, **client)
    if not numbers.owned_numbers(db, agency):  # the numbers and their history come once
        _seed_numbers_and_history(services, db, now)


def _seed_numbers_and_history(services: Services, db: Db, now: datetime) -> None:
    """The demo's tracking numbers, bought a month ago (the rentals charged to the agency, which
    is credited for them), configured, and three weeks of visits and calls made the way live
    traffic makes them: page loads through the swap logic, calls through the routing decision,
    talk time billed."""
    accounts = {userid: domain.account_by_userid(db, userid) for userid in ("acme_agency", "joesplumbing",
                                                                              "mikesradio")}
    agency, joe, mike = accounts["acme_agency"], accounts["joesplumbing"], accounts["mikesradio"]
    assert agency is not None and joe is not None and mike is not None
    prices, tz_name = billing.Prices.from_settings(services.settings.api_setting), "UTC"
    provider = SandboxProvider("demo")  # demo numbers are fictional whatever the configured provider
    bought_on = now - timedelta(days=HISTORY_DAYS + 7)
    fees = sum((prices.monthly_fee(kind) for _, _, kind, _ in NUMBERS), Decimal("0.00"))
    domain.add_credit(db, agency, fees, "demo credit for the demo numbers", bought_on)
    for number, owner, kind, assign_type in NUMBERS:
        account = accounts[owner]
        assert account is not None
        numbers.purchase(db, provider, prices, owner=account, number_type=kind, country="US", wanted=[number],
                         now=bought_on, tz_name=tz_name)
        if assign_type:
            numbers.assign(db, account, [number], assign_type, bought_on)
    numbers.set_forwarding(db, joe, "pro", [], DEFAULT_FORWARD, "")
    numbers.insert_round_robin(db, joe, ["4105550100"], [numbers.Entry("4105551111", "", "Front desk"),
                                                         numbers.Entry("4105552222", "", "Joe cell")], None, None)
    numbers.update_settings(db, joe, ["4105550100"], {"recording": True, "whisper_message": "Call from Google Ads"})
    site = numbers.add_metro_site(db, joe, "4105557100", "Towson", "4105557199", bought_on)
    numbers.allocate_metro(db, joe, site["site_id"], ["4105550102"])
    dni.set_smart_replacement(db, joe, "add", [SITE_PHONE])
    numbers.set_forwarding(db, mike, "lite", [], MIKES_FORWARD, "")
    reports.add_lite_campaign(db, mike, ["4105550101"], "Spring Mailer", "Direct mail", None, "", bought_on, tz_name)
    _history(db, joe, prices, now)


def _history(db: Db, joe: domain.Account, prices: billing.Prices, now: datetime) -> None:
    rng = random.Random(20240612)  # the same history on every seeding
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    weights = [weight for weight, _, _ in SOURCES]
    site = dni.site_of(db, joe)
    call_number = 0
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        for n in range(rng.randint(6, 12)):
            at = day + timedelta(hours=rng.randint(7, 20), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            keyword = rng.choice(KEYWORDS)
            _, query, referrer = rng.choices(SOURCES, weights)[0]
            visitor = f"demo-{days_ago:02d}-{n:02d}"
            url = f"https://www.joesplumbing.example/{rng.choice(PAGES)}" + query.format(
                n=n, keyword=keyword.replace(" ", "+"))
            _visit, swaps = dni.page_load(db, site, visitor, url, referrer.format(keyword=keyword.replace(" ", "+")),
                                          values.utc_naive(at), "", "Mozilla/5.0 (demo)")
            if swaps and rng.random() < 0.3:  # about a third of the visitors call
                call_number += 1
                _call(db, f"CA{call_number:032x}", swaps[0].number, at + timedelta(minutes=rng.randint(1, 25)),
                      rng, prices)
        if rng.random() < 0.6:  # the radio campaign's number rings too
            call_number += 1
            _call(db, f"CA{call_number:032x}", "4105550101", day + timedelta(hours=rng.randint(8, 18)), rng, prices)


def _call(db: Db, call_sid: str, to: str, at: datetime, rng: random.Random, prices: billing.Prices) -> None:
    caller = calls.Caller(call_sid, to, f"443555{rng.randint(1000, 9999)}", rng.choice(["", "SMITH JOHN", "DOE JANE"]),
                          "BALTIMORE", "MD", "21201", "US")
    call = calls.start(db, caller, at)
    if call is None or call.status != "in-progress":
        return
    answered_by = rng.choice([1, 1, 1, 2, 0])
    for step in range(1, len(call.plan) + 1):
        current = calls.find_by_id(db, call.id)
        assert current is not None
        then = calls.dial_result(db, current, step, "completed" if step == answered_by else "no-answer")
        if then.action != "dial":
            break
    calls.finish(db, call_sid, "completed", rng.randint(20, 420), prices, at)


def credentials(base_url: str, settings: Settings | None = None) -> dict:
    """The demo's credentials; the sandbox's webhook signing token is the server's (it depends on
    the server secret), so it is given only with the server's settings."""
    site_key = CLIENTS[0]["site_key"]
    token = None
    if settings is not None:
        token = settings.api_setting("avidtrak.sandbox_auth_token", "") or server_keys(settings).sandbox_auth_token()
    return {
        "avidtrak": {
            "url": f"{base_url}/webservice/api.php",
            "agency_pincode": AGENCY["pincode"],
            "client_pincode": CLIENTS[0]["pincode"],
            "site_key": site_key,
            "track_js_url": f"{base_url}/{site_key}/track.js",
            "webhook_url": f"{base_url}/voice/incoming",
            "twilio_auth_token": token,
        }
    }


def curl_examples(base_url: str, creds: dict) -> list[str]:
    avidtrak = creds["avidtrak"]
    return [f"curl '{avidtrak['url']}?pincode={avidtrak['client_pincode']}&format=json&method=call_logs"
            f"&startdate=2000-01-01'"]
