"""PAYT and TrackerPro Admin operations as plain functions over the tables; no HTTP here.

Failures raise PaytError with one of the vendor's reason codes; wire.py renders them.
"""

from __future__ import annotations

import base64
import re
from functools import cached_property, lru_cache
from typing import NamedTuple

from sqlalchemy import select

from polytrack.kernel.coherence import CoherentCache, read_through
from polytrack.kernel.sql import Db, Statement
from polytrack.kernel.secrets import hash_password, lookup_digest, random_guid, random_hex, verify_password
from polytrack.kernel.tokens import TOKEN_COLUMNS, TokenStore
from polytrack.payt.tables import (
    payt_admin_keys, payt_clients, payt_users,
)

API = "payt"
TICKET = "ticket"
LAUNCH = "launch"    # single-use TrackerPro launch token (Admin/Launch)
BROWSER = "browser"  # the browser session a launch token opens (cookie)
# An unused launch token dies after 5 minutes.
LAUNCH_TOKEN_SECONDS = 5 * 60
# ASP.NET session default; configurable as payt.ticket_idle_seconds.
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


def access_denied() -> PaytError:
    return PaytError("access_denied", "Access denied")


# The small records below are NamedTuples: built on every call, and a NamedTuple costs less
# than half of what a frozen dataclass does to construct.

class Caller(NamedTuple):
    """Who a ticket belongs to."""

    user_id: int
    client_id: int
    email: str
    company: str
    calls_per_minute: int
    timezone: str = "Europe/London"


class Integrator(NamedTuple):
    """Who a TrackerPro admin key belongs to."""

    admin_key_id: int
    name: str


# --- authentication ---------------------------------------------------------------------------

def login(db: Db, tokens: TokenStore, *, username: str, password: str, idle_seconds: float) -> str:
    """A new ticket for the user; every earlier ticket of that user dies (one live ticket per user)."""
    row = db.execute(
        select(payt_users.c.id, payt_users.c.client_id, payt_users.c.password_hash)
        .where(payt_users.c.email == username.strip().lower())
    ).first()
    # checked even for an unknown user (against no hash), so the answer takes as long either way
    if not verify_password(password, row.password_hash if row else None) or row is None:
        raise not_authenticated()
    return tokens.issue(
        db, api=API, kind=TICKET, subject=str(row.id), scope=str(row.client_id),
        token=random_guid(), idle_seconds=idle_seconds, revoke_others=True,
    )


# Every ticket call's one lookup: the ticket joined with its user and client. LEFT JOINs, so an
# expired ticket is still found (and deleted) and a deleted user reads as no caller. The CASE
# casts only PAYT tickets' subjects (user ids): another API's token may carry a subject that
# is no number, and PostgreSQL would refuse the cast.
_CALLER_BY_TICKET = Statement(f"""
    SELECT {TOKEN_COLUMNS}, u.id, u.email, c.id, c.company, c.calls_per_minute, c.timezone
    FROM kernel_tokens t
    LEFT JOIN payt_users u
      ON u.id = CASE WHEN t.api = '{API}' AND t.kind = '{TICKET}' THEN CAST(t.subject AS INTEGER) END
    LEFT JOIN payt_clients c ON c.id = u.client_id
    WHERE t.digest = ?
""")


def caller_for_ticket(db: Db, tokens: TokenStore, ticket: str | None, cache: CoherentCache | None = None) -> Caller:
    """The ticket's user (`cache`: a read cache of live tickets, see TokenStore.resolve_joined)."""
    found = tokens.resolve_joined(db, _CALLER_BY_TICKET, api=API, kind=TICKET,
                                  token=(ticket or "").strip().upper(), cache=cache)
    if found is None:
        raise not_authenticated()
    user_id, email, client_id, company, calls_per_minute, timezone = found[1]
    if user_id is None:  # user deleted since the ticket was issued
        raise not_authenticated()
    return Caller(
        user_id=user_id, client_id=client_id, email=email, company=company,
        calls_per_minute=calls_per_minute, timezone=timezone or "Europe/London",
    )


def caller_for_user(db: Db, user_id: int) -> Caller | None:
    row = db.execute(
        select(payt_users.c.id, payt_users.c.email, payt_clients.c.id.label("client_id"), payt_clients.c.company,
               payt_clients.c.calls_per_minute, payt_clients.c.timezone)
        .join(payt_clients, payt_clients.c.id == payt_users.c.client_id)
        .where(payt_users.c.id == user_id)
    ).first()
    if row is None:
        return None
    return Caller(
        user_id=row.id, client_id=row.client_id, email=row.email, company=row.company,
        calls_per_minute=row.calls_per_minute, timezone=row.timezone or "Europe/London",
    )


def logout(db: Db, tokens: TokenStore, ticket: str) -> None:
    if not tokens.revoke(db, api=API, kind=TICKET, token=ticket.strip().upper()):
        raise not_authenticated()


_INTEGRATOR_BY_KEY = Statement("SELECT id, name FROM payt_admin_keys WHERE key_digest = ?")


def integrator_for_key(db: Db, key: str | None, cache: CoherentCache | None = None) -> Integrator:
    """The admin key's integrator (`cache`: a read cache of known keys, kernel.coherence)."""
    if not key:
        raise not_authenticated()
    found = read_through(cache, key, lambda: _integrator(db, key))
    if found is None:
        raise not_authenticated()
    return found


def _integrator(db: Db, key: str) -> Integrator | None:
    row = db.one(_INTEGRATOR_BY_KEY, (lookup_digest(key),))
    return None if row is None else Integrator(admin_key_id=row[0], name=row[1])


# --- provisioning -----------------------------------------------------------------------------

def create_admin_key(db: Db, clock, *, name: str, key: str) -> int:
    return db.execute(
        payt_admin_keys.insert().values(name=name, key_digest=lookup_digest(key), created_at=clock.timestamp())
        .returning(payt_admin_keys.c.id)
    ).scalar_one()


def ensure_client(db: Db, clock, *, company: str, admin_key_id: int | None, timezone: str = "Europe/London") -> int:
    """The client's id, creating it if new. A client created through another admin key is
    off limits (access_denied)."""
    row = db.execute(
        select(payt_clients.c.id, payt_clients.c.admin_key_id).where(payt_clients.c.company == company)
    ).first()
    if row is not None:
        if admin_key_id is not None and row.admin_key_id != admin_key_id:
            raise PaytError("access_denied", "Access denied")
        return row.id
    return db.execute(
        payt_clients.insert().values(
            company=company, admin_key_id=admin_key_id, timezone=timezone, calls_per_minute=0,
            created_at=clock.timestamp(),
        ).returning(payt_clients.c.id)
    ).scalar_one()


def create_user(db: Db, clock, *, client_id: int, email: str, password: str) -> int:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise invalid_query("Invalid parameter: email")
    if db.execute(select(payt_users.c.id).where(payt_users.c.email == email)).first():
        raise invalid_query("User name should be unique to client")
    return db.execute(
        payt_users.insert().values(
            client_id=client_id, email=email, password_hash=hash_password(password), created_at=clock.timestamp()
        ).returning(payt_users.c.id)
    ).scalar_one()


def register(db: Db, clock, tokens: TokenStore, integrator: Integrator, *, company: str, email: str, password: str) -> str:
    """TrackerPro Admin/Register: create the client if new and the user if new, set the password
    and issue a new ssid (the previous one stops working). Returns the ssid."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise invalid_query("Invalid parameter: email")
    client_id = ensure_client(db, clock, company=company, admin_key_id=integrator.admin_key_id)
    ssid = random_guid()
    user = db.execute(select(payt_users.c.id, payt_users.c.client_id).where(payt_users.c.email == email)).first()
    if user is None:
        user_id = create_user(db, clock, client_id=client_id, email=email, password=password)
    elif user.client_id != client_id:
        # E-mails are unique across PAYT: this one already belongs to another client.
        raise invalid_query("User name should be unique to client")
    else:
        user_id = user.id
        db.execute(payt_users.update().where(payt_users.c.id == user_id).values(password_hash=hash_password(password)))
        # A new password ends the sessions opened with the old one.
        tokens.revoke_subject(db, api=API, kind=TICKET, subject=str(user_id))
    db.execute(payt_users.update().where(payt_users.c.id == user_id).values(ssid_digest=lookup_digest(ssid)))
    return ssid


# --- TrackerPro: companies, launch tokens, browser sessions --------------------------------------

class Company(NamedTuple):
    client_id: int
    company: str
    timezone: str


_COMPANY = Statement("SELECT id, admin_key_id, timezone FROM payt_clients WHERE company = ?")


def company_of_integrator(db: Db, integrator: Integrator, company: str) -> Company:
    """The client behind `company`, if it was created through this admin key. Unknown and
    foreign companies get the same access_denied, so a key cannot probe for other integrators'
    companies."""
    row = db.one(_COMPANY, (company,))
    return check_company(integrator, company, row)


def check_company(integrator: Integrator, company: str, row) -> Company:
    """`company_of_integrator` on a row (client id, admin key id, timezone) another query read."""
    if row is None or row[1] != integrator.admin_key_id:
        raise access_denied()
    return Company(client_id=row[0], company=company, timezone=row[2] or "Europe/London")


def launch(db: Db, tokens: TokenStore, integrator: Integrator, ssid: str) -> str:
    """Admin/Launch: a single-use launch token for the user holding `ssid`. An ssid of another
    integrator's user is as unknown as a made-up one."""
    row = db.execute(
        select(payt_users.c.id, payt_users.c.client_id)
        .join(payt_clients, payt_clients.c.id == payt_users.c.client_id)
        .where(payt_users.c.ssid_digest == lookup_digest(ssid.strip().upper()))
        .where(payt_clients.c.admin_key_id == integrator.admin_key_id)
    ).first()
    if row is None:
        raise invalid_query("Unknown ssid")
    return tokens.issue(
        db, api=API, kind=LAUNCH, subject=str(row.id), scope=str(row.client_id),
        token=random_guid(), idle_seconds=LAUNCH_TOKEN_SECONDS, single_use=True,
    )


def open_browser_session(db: Db, tokens: TokenStore, launch_token: str | None, *, idle_seconds: float) -> tuple[str, Caller] | None:
    """Consume a launch token (once) and start a browser session for its user: (session token,
    caller), or None when the token is unknown, used or expired."""
    info = tokens.resolve(db, api=API, kind=LAUNCH, token=(launch_token or "").strip().upper())
    if info is None:
        return None
    caller = caller_for_user(db, int(info.subject))
    if caller is None:
        return None
    session = tokens.issue(
        db, api=API, kind=BROWSER, subject=info.subject, scope=info.scope,
        token=random_hex(32), idle_seconds=idle_seconds,
    )
    return session, caller


def caller_for_browser_session(db: Db, tokens: TokenStore, session: str | None) -> Caller | None:
    info = tokens.resolve(db, api=API, kind=BROWSER, token=session)
    return caller_for_user(db, int(info.subject)) if info else None


# --- folder permissions (who sees which folders and vehicles) ------------------------------------

@lru_cache(maxsize=4096)  # every row of every dataset has one; few distinct versions repeat
def row_version_text(version: int | None) -> str:
    """TimeStamp cells: base64 of the 8-byte big-endian row version, as .NET writes
    a SQL rowversion."""
    return base64.b64encode(int(version or 0).to_bytes(8, "big", signed=False)).decode()


class Folder(NamedTuple):
    id: int
    parent_id: int | None
    type_id: int
    description: str
    row_version: int


class FolderScope:
    """The client's folder tree and the part of it one user may see.

    A user without permission rows sees every folder; otherwise the permitted folders and their
    descendants. `listed` adds the ancestors, so Group/GetByTypeID returns a connected tree."""

    def __init__(self, folders: dict[int, Folder], permitted: set[int]):
        self.folders = folders
        self.restricted = bool(permitted)
        if permitted:
            self.visible = self.with_descendants(permitted)
            self.listed = self.with_ancestors(self.visible)
        else:
            # Every folder is visible, so the ancestors add nothing (they are folders too).
            self.visible = self.listed = set(folders)

    @cached_property
    def children(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for folder in self.folders.values():
            if folder.parent_id is not None:
                children.setdefault(folder.parent_id, []).append(folder.id)
        return children

    def with_descendants(self, ids) -> set[int]:
        found, todo = set(), [i for i in ids if i in self.folders]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.children.get(current, ()))
        return found

    def with_ancestors(self, ids) -> set[int]:
        found = set()
        for folder_id in ids:
            while folder_id is not None and folder_id in self.folders and folder_id not in found:
                found.add(folder_id)
                folder_id = self.folders[folder_id].parent_id
        return found

    def sees_vehicle_in(self, group_id: int | None) -> bool:
        # A vehicle outside any folder is visible only to users without folder restrictions.
        return not self.restricted if group_id is None else group_id in self.visible


# The permission row, if any, is found by its primary key (user, folder): no duplicates.
_FOLDERS = Statement("""
    SELECT g.id, g.parent_id, g.type_id, g.description, g.row_version, p.user_id IS NOT NULL
    FROM payt_groups g LEFT JOIN payt_user_groups p ON p.user_id = ? AND p.group_id = g.id
    WHERE g.client_id = ?
""")


def folder_scope(db: Db, caller: Caller) -> FolderScope:
    """One query: every folder of the caller's client, flagged when the user is permitted on it."""
    folders, permitted = {}, set()
    for folder_id, parent_id, type_id, description, row_version, is_permitted in db.all(
            _FOLDERS, (caller.user_id, caller.client_id)):
        folders[folder_id] = Folder(folder_id, parent_id, type_id, description, row_version)
        if is_permitted:
            permitted.add(folder_id)
    return FolderScope(folders, permitted)


_VEHICLE_FOLDERS = Statement("SELECT id, group_id FROM payt_vehicles WHERE client_id = ?")


def report_vehicle_ids(db: Db, caller: Caller, vehicle_ids: list[int] | None,
                       group_ids: list[int] | None) -> list[int]:
    """The report selection: (listed vehicles or all) ∩ (vehicles in the listed folders or their
    descendants, or all) ∩ (vehicles the user may see). Naming a vehicle or folder the user
    cannot see — another client's included — is access_denied."""
    scope = folder_scope(db, caller)
    folder_of = dict(db.all(_VEHICLE_FOLDERS, (caller.client_id,)))  # vehicle id -> its folder
    visible = {vid: gid for vid, gid in folder_of.items() if scope.sees_vehicle_in(gid)}
    if group_ids is not None:
        if any(g not in scope.listed for g in group_ids):
            raise access_denied()
        in_groups = scope.with_descendants(group_ids)
        visible = {vid: gid for vid, gid in visible.items() if gid in in_groups}
    if vehicle_ids is not None:
        if any(v not in visible and not (v in folder_of and scope.sees_vehicle_in(folder_of[v])) for v in vehicle_ids):
            raise access_denied()
        return sorted(v for v in vehicle_ids if v in visible)
    return sorted(visible)


# --- TrackerPro tasks ------------------------------------------------------------------------------

_TASKS_OVERLAPPING = Statement("""
    SELECT t.id, t.ext_id, t.type, t.name, t.description, t.start_ms, t.end_ms, t.grace_period_mins,
           t.assigned_to, v.registration, t.region_geojson, t.parameter_json, t.status, t.eta_ms
    FROM payt_tasks t LEFT JOIN payt_vehicles v ON v.id = t.assigned_vehicle_id
    WHERE t.client_id = ? AND t.start_ms < ? AND t.end_ms >= ?
    ORDER BY t.start_ms, t.id
""")


def tasks_overlapping(db: Db, client_id: int, from_ms: int, to_ms: int) -> list[dict]:
    """The client's tasks whose [start, end] overlaps [from_ms, to_ms), as TasksDataSet rows."""
    return [
        {
            "TaskID": task_id, "ExtID": ext_id, "Type": type_, "Name": name, "Description": description,
            "StartDateTime": start_ms, "EndDateTime": end_ms, "GracePeriodMins": grace_period_mins,
            # free text when set, else the registration of the assigned vehicle
            "AssignedTo": assigned_to or registration or "",
            "RegionGeoJson": region_geojson, "ParameterJson": parameter_json, "Status": status, "ETA": eta_ms,
        }
        for (task_id, ext_id, type_, name, description, start_ms, end_ms, grace_period_mins, assigned_to,
             registration, region_geojson, parameter_json, status, eta_ms)
        in db.all(_TASKS_OVERLAPPING, (client_id, to_ms, from_ms))
    ]
