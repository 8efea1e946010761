"""AvidTrak demo data: the vendor documentation's example accounts, with fixed pincodes.

Agency acme_agency (pincode 4815162342, 50.00 credit), its pro client joesplumbing
(7300914852) and its lite client mikesradio (6021774410). Seeding skips accounts that exist.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from polytrack.avidtrak import domain
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


def seed(services: Services, db: Db) -> None:
    keys, now = server_keys(services.settings), services.clock.now()
    agency = domain.account_by_userid(db, AGENCY["userid"])
    if agency is None:
        agency = domain.create_account(db, keys, now, kind="agency", **AGENCY).account
        domain.add_credit(db, agency, AGENCY_CREDIT, "demo credit", now)
    for client in CLIENTS:
        if domain.account_by_userid(db, client["userid"]) is None:
            domain.create_account(db, keys, now, kind="client", agency=agency, **client)


def credentials(base_url: str, _settings: Settings | None = None) -> dict:
    return {
        "avidtrak": {
            "url": f"{base_url}/webservice/api.php",
            "agency_pincode": AGENCY["pincode"],
            "client_pincode": CLIENTS[0]["pincode"],
        }
    }


def curl_examples(base_url: str, creds: dict) -> list[str]:
    avidtrak = creds["avidtrak"]
    return [f"curl '{avidtrak['url']}?pincode={avidtrak['agency_pincode']}&format=json&method=client_list'"]
