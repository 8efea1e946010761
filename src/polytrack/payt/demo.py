"""PAYT / TrackerPro demo data and its fixed sandbox credentials."""

from __future__ import annotations

from sqlalchemy import select

from polytrack.config import Settings
from polytrack.kernel.secrets import lookup_digest
from polytrack.payt import demo_fleet, domain
from polytrack.payt.tables import payt_admin_keys, payt_users


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
    demo_fleet.seed_fleet(services, conn, client_id)


DEFAULT_OSMAND_PORT = 5055  # the osmand_port setting's default (Traccar's device port)


def osmand_url(base_url: str, osmand_port: int = DEFAULT_OSMAND_PORT) -> str:
    """Where devices send positions (OsmAnd protocol): the base URL's host on the device
    listener's port, or /osmand on the main port when that listener is off (`osmand_port` 0)."""
    from urllib.parse import urlsplit

    if not osmand_port:
        return f"{base_url.rstrip('/')}/osmand"
    parts = urlsplit(base_url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme or 'http'}://{host}:{osmand_port}/"


def credentials(base_url: str, settings: Settings | None = None) -> dict:
    """`settings`: the server's, whose osmand_port names the device listener (None: defaults)."""
    osmand_port = settings.osmand_port if settings is not None else DEFAULT_OSMAND_PORT
    return {
        "payt": {"url": f"{base_url}/api2.ashx", "username": DEMO_EMAIL, "password": DEMO_PASSWORD,
                 # the demo vehicles' trackers, and where devices send positions (OsmAnd protocol):
                 # the device listener (the osmand_port setting) or, always, /osmand on the main port
                 "device_ids": demo_fleet.device_ids(), "osmand_url": osmand_url(base_url, osmand_port),
                 "osmand_main_port_url": f"{base_url}/osmand"},
        "trackerpro": {"url": f"{base_url}/trackerpro_admin.ashx", "key": DEMO_ADMIN_KEY},
    }


def curl_examples(base_url: str, creds: dict) -> list[str]:
    payt = creds["payt"]
    return [
        f"curl '{payt['url']}?op=Authenticate&subop=Login&clientname=&username={payt['username']}&password={payt['password']}'",
        f"curl '{creds['trackerpro']['url']}?key={creds['trackerpro']['key']}&op=Vehicle"
        f"&subop=GetAllVehiclesForClientID&company={DEMO_COMPANY}'",
    ]
