"""PAYT / TrackerPro demo data and its fixed sandbox credentials."""

from __future__ import annotations

from sqlalchemy import select

from polytrack.payt import domain
from polytrack.payt.tables import payt_admin_keys, payt_users
from polytrack.kernel.secrets import lookup_digest

DEMO_COMPANY = "demo"
DEMO_EMAIL = "demo@polytrack.example"
DEMO_PASSWORD = "demo-password"
DEMO_ADMIN_KEY_NAME = "Demo integrator"
DEMO_ADMIN_KEY = "DEMO-TRACKERPRO-ADMIN-KEY"


def seed(services, conn) -> None:
    clock = services.clock
    key_row = conn.execute(select(payt_admin_keys.c.id).where(payt_admin_keys.c.key_digest == lookup_digest(DEMO_ADMIN_KEY))).first()
    key_id = key_row.id if key_row else domain.create_admin_key(conn, clock, name=DEMO_ADMIN_KEY_NAME, key=DEMO_ADMIN_KEY)
    client_id = domain.ensure_client(conn, clock, company=DEMO_COMPANY, admin_key_id=key_id)
    if conn.execute(select(payt_users.c.id).where(payt_users.c.email == DEMO_EMAIL)).first() is None:
        domain.create_user(conn, clock, client_id=client_id, email=DEMO_EMAIL, password=DEMO_PASSWORD)


def credentials(base_url: str) -> dict:
    return {
        "payt": {"url": f"{base_url}/api2.ashx", "username": DEMO_EMAIL, "password": DEMO_PASSWORD},
        "trackerpro": {"url": f"{base_url}/trackerpro_admin.ashx", "key": DEMO_ADMIN_KEY},
    }


def curl_examples(base_url: str, creds: dict) -> list[str]:
    payt = creds["payt"]
    return [
        f"curl '{payt['url']}?op=Authenticate&subop=Login&clientname=&username={payt['username']}&password={payt['password']}'",
        f"curl '{creds['trackerpro']['url']}?key={creds['trackerpro']['key']}&op=Admin&subop=Register"
        f"&company={DEMO_COMPANY}&email=driver@polytrack.example&password=s3cret-pass'",
    ]
