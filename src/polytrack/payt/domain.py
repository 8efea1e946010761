"""PAYT and TrackerPro Admin operations as plain functions over the tables; no HTTP here.

Failures raise PaytError with one of the vendor's reason codes; wire.py renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from polytrack.kernel.secrets import hash_password, lookup_digest, random_guid, verify_password
from polytrack.payt.tables import payt_admin_keys, payt_clients, payt_users

API = "payt"
TICKET = "ticket"
# ASP.NET session default; configurable as payt.ticket_idle_seconds (spec U-8).
TICKET_IDLE_SECONDS = 20 * 60

ACCESS_DENIED_MESSAGE = "Access to the System denied"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PaytError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def not_authenticated() -> PaytError:
    return PaytError("user_not_authenticated", ACCESS_DENIED_MESSAGE)


def invalid_query(message: str) -> PaytError:
    return PaytError("invalid_query", message)


@dataclass(frozen=True)
class Caller:
    """Who a ticket belongs to."""

    user_id: int
    client_id: int
    email: str
    company: str
    calls_per_minute: int


@dataclass(frozen=True)
class Integrator:
    """Who a TrackerPro admin key belongs to."""

    admin_key_id: int
    name: str


# --- authentication ---------------------------------------------------------------------------

def login(conn: Connection, tokens, *, username: str, password: str, idle_seconds: float) -> str:
    """A new ticket for the user; every earlier ticket of that user dies (one live ticket per user)."""
    row = conn.execute(
        select(payt_users.c.id, payt_users.c.client_id, payt_users.c.password_hash)
        .where(payt_users.c.email == username.strip().lower())
    ).first()
    if not verify_password(password, row.password_hash if row else None):
        raise not_authenticated()
    return tokens.issue(
        conn, api=API, kind=TICKET, subject=str(row.id), scope=str(row.client_id),
        token=random_guid(), idle_seconds=idle_seconds, revoke_others=True,
    )


def caller_for_ticket(conn: Connection, tokens, ticket: str | None) -> Caller:
    info = tokens.resolve(conn, api=API, kind=TICKET, token=(ticket or "").strip().upper())
    if info is None:
        raise not_authenticated()
    row = conn.execute(
        select(payt_users.c.id, payt_users.c.email, payt_clients.c.id.label("client_id"), payt_clients.c.company,
               payt_clients.c.calls_per_minute)
        .join(payt_clients, payt_clients.c.id == payt_users.c.client_id)
        .where(payt_users.c.id == int(info.subject))
    ).first()
    if row is None:  # user deleted since the ticket was issued
        raise not_authenticated()
    return Caller(
        user_id=row.id, client_id=row.client_id, email=row.email, company=row.company,
        calls_per_minute=row.calls_per_minute,
    )


def logout(conn: Connection, tokens, ticket: str) -> None:
    if not tokens.revoke(conn, api=API, kind=TICKET, token=ticket.strip().upper()):
        raise not_authenticated()


def integrator_for_key(conn: Connection, key: str | None) -> Integrator:
    if not key:
        raise not_authenticated()
    row = conn.execute(
        select(payt_admin_keys.c.id, payt_admin_keys.c.name).where(payt_admin_keys.c.key_digest == lookup_digest(key))
    ).first()
    if row is None:
        raise not_authenticated()
    return Integrator(admin_key_id=row.id, name=row.name)


# --- provisioning -----------------------------------------------------------------------------

def create_admin_key(conn: Connection, clock, *, name: str, key: str) -> int:
    return conn.execute(
        payt_admin_keys.insert().values(name=name, key_digest=lookup_digest(key), created_at=clock.timestamp())
    ).inserted_primary_key[0]


def ensure_client(conn: Connection, clock, *, company: str, admin_key_id: int | None, timezone: str = "Europe/London") -> int:
    """The client's id, creating it if new. A client created through another admin key is
    off limits (access_denied)."""
    row = conn.execute(
        select(payt_clients.c.id, payt_clients.c.admin_key_id).where(payt_clients.c.company == company)
    ).first()
    if row is not None:
        if admin_key_id is not None and row.admin_key_id != admin_key_id:
            raise PaytError("access_denied", "Access denied")
        return row.id
    return conn.execute(
        payt_clients.insert().values(
            company=company, admin_key_id=admin_key_id, timezone=timezone, calls_per_minute=0,
            created_at=clock.timestamp(),
        )
    ).inserted_primary_key[0]


def create_user(conn: Connection, clock, *, client_id: int, email: str, password: str) -> int:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise invalid_query("Invalid parameter: email")
    if conn.execute(select(payt_users.c.id).where(payt_users.c.email == email)).first():
        raise invalid_query("User name should be unique to client")
    return conn.execute(
        payt_users.insert().values(
            client_id=client_id, email=email, password_hash=hash_password(password), created_at=clock.timestamp()
        )
    ).inserted_primary_key[0]


def register(conn: Connection, clock, tokens, integrator: Integrator, *, company: str, email: str, password: str) -> str:
    """TrackerPro Admin/Register: create the client if new and the user if new, set the password
    and issue a new ssid (the previous one stops working). Returns the ssid."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise invalid_query("Invalid parameter: email")
    client_id = ensure_client(conn, clock, company=company, admin_key_id=integrator.admin_key_id)
    ssid = random_guid()
    user = conn.execute(select(payt_users.c.id, payt_users.c.client_id).where(payt_users.c.email == email)).first()
    if user is None:
        user_id = create_user(conn, clock, client_id=client_id, email=email, password=password)
    elif user.client_id != client_id:
        # E-mails are unique across PAYT: this one already belongs to another client (spec U-23).
        raise invalid_query("User name should be unique to client")
    else:
        user_id = user.id
        conn.execute(payt_users.update().where(payt_users.c.id == user_id).values(password_hash=hash_password(password)))
        # A new password ends the sessions opened with the old one.
        tokens.revoke_subject(conn, api=API, kind=TICKET, subject=str(user_id))
    conn.execute(payt_users.update().where(payt_users.c.id == user_id).values(ssid_digest=lookup_digest(ssid)))
    return ssid
