"""Pincode digests keyed with a server secret the database does not hold (server_keys.py): a
copied database gives no pincode away, rows stored before the keys keep working, and the
secret is made once and kept private."""

import hashlib
import logging
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.avidtrak import sealing
from polytrack.avidtrak.server_keys import LEGACY_SEAL_KEY, secret_path, server_keys
from polytrack.avidtrak.tables import avidtrak_accounts, avidtrak_server_keys
from polytrack.config import ConfigError, Settings
from polytrack.kernel.db import make_engine, upgrade
from polytrack.services import Services
from tests.avidtrak.conftest import call
from tests.conftest import ADMIN_TOKEN, BACKEND

pytestmark = pytest.mark.usefixtures("services")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_rows(services) -> dict[str, tuple]:
    with services.transaction() as db:
        rows = db.execute(select(avidtrak_accounts.c.userid, avidtrak_accounts.c.pincode_digest,
                                 avidtrak_accounts.c.pincode_key_id, avidtrak_accounts.c.pincode_sealed))
        return {userid: (digest, key_id, sealed) for userid, digest, key_id, sealed in rows}


@contextmanager
def server(settings: Settings, engine=None, clock=None):
    """An app of its own on `settings`, as another server (or a restart) would build it."""
    services = Services.build(settings, engine=engine, clock=clock)
    with TestClient(create_app(services=services)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield client


def with_api(settings: Settings, **knobs) -> Settings:
    return Settings(db=settings.db, admin_token=ADMIN_TOKEN, osmand_port=0, read_cache="on",
                    api={**settings.api, **knobs})


@pytest.fixture
def accounts(agency, pro_client, lite_client):
    return {"acme_agency": agency["pincode"], "joesplumbing": pro_client["pincode"],
            "mikesradio": lite_client["pincode"]}


# --- what a copy of the database gives away ------------------------------------------------------

def test_stored_digests_are_keyed_not_plain_sha256(services, accounts):
    keys = server_keys(services.settings)
    stored = stored_rows(services)
    for userid, pincode in accounts.items():
        digest, key_id, _sealed = stored[userid]
        assert digest == keys.pincode_digest(pincode) and key_id == keys.key_id
    # Trying every 10-digit value against the digests finds nothing: here, a range holding the
    # three real pincodes.
    digests = {digest for digest, _, _ in stored.values()}
    candidates = [*accounts.values(), *(str(n) for n in range(1_000_000_000, 1_000_010_000))]
    assert not any(sha256(candidate) in digests for candidate in candidates)


def test_a_server_without_the_secret_matches_no_pincode(services, engine, clock, accounts, tmp_path, caplog):
    """The database as a thief has it: the same rows, another secret."""
    other = with_api(services.settings, **{"avidtrak.secret_file": str(tmp_path / "not-the-secret")})
    with caplog.at_level(logging.ERROR, logger="polytrack.avidtrak"), server(other, engine, clock) as thief:
        for pincode in accounts.values():
            assert call(thief, pincode, "get_remaining_balance")["code"] == 4
    assert "3 accounts have pincodes keyed with another secret" in caplog.text
    assert str(tmp_path / "not-the-secret") in caplog.text
    # nor does the other key open a sealed client pincode
    thief_keys = server_keys(other)
    for userid in ("joesplumbing", "mikesradio"):
        digest, _, sealed = stored_rows(services)[userid]
        client_id, agency_id = _ids(services, userid)
        assert sealing.unseal(thief_keys.seal, agency_id=agency_id, client_id=client_id, sealed=sealed,
                              pincode_digest=digest, digest_of=thief_keys.pincode_digest) is None


def _ids(services, userid: str) -> tuple[int, int]:
    with services.transaction() as db:
        return db.execute(select(avidtrak_accounts.c.id, avidtrak_accounts.c.parent_id)
                          .where(avidtrak_accounts.c.userid == userid)).one()


@pytest.mark.skipif(BACKEND != "sqlite", reason="copies the SQLite file")
def test_a_copied_sqlite_file_needs_its_secret_file(services, accounts, tmp_path):
    source = Path(services.engine.url.database)
    copy = tmp_path / "copy.db"
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as target:
        original.backup(target)
    copied = Settings(db=f"sqlite:///{copy}", admin_token=ADMIN_TOKEN, osmand_port=0)
    engine = make_engine(copied.db)
    try:
        with server(copied, engine) as thief:  # a new secret is made next to the copy
            assert call(thief, accounts["acme_agency"], "get_remaining_balance")["code"] == 4
        # restored together with its secret file, the copy works
        secret_path(copied).write_bytes(secret_path(services.settings).read_bytes())
        # (named explicitly: this process remembers the secret it made for the copy)
        restored = with_api(copied, **{"avidtrak.secret_file": str(secret_path(copied))})
        with server(restored, engine) as owner:
            rows = call(owner, accounts["acme_agency"], "client_list")["data"]
        assert {row["userid"]: row["pincode"] for row in rows} == {
            "joesplumbing": accounts["joesplumbing"], "mikesradio": accounts["mikesradio"]}
    finally:
        engine.dispose()


# --- rows stored before the keys ---------------------------------------------------------------

def make_legacy(services, accounts) -> bytes:
    """Turn the rows into what earlier versions stored: plain SHA-256 digests, no key id, client
    pincodes sealed with a key kept in the database. Returns that key."""
    legacy_key = bytes(range(32))
    ids = {userid: _ids(services, userid) for userid in accounts}
    with services.transaction() as db:
        for userid, pincode in accounts.items():
            client_id, agency_id = ids[userid]
            sealed = None if agency_id is None else sealing.seal(legacy_key, agency_id=agency_id, client_id=client_id,
                                                                   pincode=pincode)
            db.execute(update(avidtrak_accounts).where(avidtrak_accounts.c.userid == userid)
                       .values(pincode_digest=sha256(pincode), pincode_key_id=None, pincode_sealed=sealed))
        db.execute(avidtrak_server_keys.insert().values(name=LEGACY_SEAL_KEY, value=legacy_key.hex(),
                                                        created_on=services.clock.now().replace(tzinfo=None)))
    return legacy_key


def test_rows_stored_before_the_keys_keep_working(services, engine, clock, accounts):
    make_legacy(services, accounts)
    with server(services.settings, engine, clock) as restarted:  # starting keys the rows
        for pincode in accounts.values():
            assert call(restarted, pincode, "get_remaining_balance")["code"] == 1
        rows = call(restarted, accounts["acme_agency"], "client_list")["data"]
        assert {row["userid"]: row["pincode"] for row in rows} == {
            "joesplumbing": accounts["joesplumbing"], "mikesradio": accounts["mikesradio"]}
    keys = server_keys(services.settings)
    upgraded = stored_rows(services)
    assert all(key_id == keys.key_id for _, key_id, _ in upgraded.values())
    assert not {sha256(pincode) for pincode in accounts.values()} & {digest for digest, _, _ in upgraded.values()}
    with services.transaction() as db:  # the seal key left the database
        assert db.execute(select(avidtrak_server_keys)).first() is None
    with server(services.settings, engine, clock):  # starting again changes nothing
        assert stored_rows(services) == upgraded


def test_pincodes_regenerate_after_the_upgrade(services, engine, clock, accounts):
    make_legacy(services, accounts)
    with server(services.settings, engine, clock) as restarted:
        new = restarted.post("/_polytrack/avidtrak/accounts/joesplumbing/pincode").json()["pincode"]
        new_agency = restarted.post("/_polytrack/avidtrak/accounts/acme_agency/pincode").json()["pincode"]
        assert call(restarted, accounts["joesplumbing"], "get_remaining_balance")["code"] == 4
        assert call(restarted, new, "get_remaining_balance")["code"] == 1
        rows = call(restarted, new_agency, "client_list")["data"]
        assert {row["userid"]: row["pincode"] for row in rows} == {
            "joesplumbing": new, "mikesradio": accounts["mikesradio"]}


def test_seal_secret_set_leaves_nothing_to_reseal_but_forgets_the_stored_key(services, engine, clock, accounts):
    make_legacy(services, accounts)
    configured = with_api(services.settings, **{"avidtrak.seal_secret": "operator-chosen-secret"})
    with server(configured, engine, clock) as restarted:
        assert call(restarted, accounts["joesplumbing"], "get_remaining_balance")["code"] == 1
        # sealed with the database's key, which was not the one in use: null, as before
        assert {row["pincode"] for row in call(restarted, accounts["acme_agency"], "client_list")["data"]} == {None}
    with services.transaction() as db:
        assert db.execute(select(avidtrak_server_keys)).first() is None


@pytest.mark.skipif(BACKEND != "sqlite", reason="builds a database of the first AvidTrak schema")
def test_migration_marks_existing_rows_and_the_server_keys_them(tmp_path, clock):
    """A database made by the first schema, with a row as that version wrote it."""
    from alembic import command

    from polytrack.kernel.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "avidtrak_0001")
    with sqlite3.connect(tmp_path / "old.db") as old:
        old.execute("INSERT INTO avidtrak_accounts (kind, userid, userid_folded, password_hash, email, contact_name,"
                    " contact_number, domain, pincode_digest, status, created_on) VALUES ('agency', 'old_agency',"
                    " 'old_agency', 'x', '', '', '', '', ?, 'active', '2024-01-01 00:00:00')", (sha256("5550001111"),))
        old.execute("INSERT INTO avidtrak_wallets (account_id, balance, updated_on) VALUES (1, 7, '2024-01-01 00:00:00')")
    upgrade(url)
    settings = Settings(db=url, admin_token=ADMIN_TOKEN, osmand_port=0)
    engine = make_engine(url)
    try:
        with server(settings, engine, clock) as upgraded:
            assert call(upgraded, "5550001111", "get_remaining_balance")["data"]["balance"] == "7.00"
    finally:
        engine.dispose()
    with sqlite3.connect(tmp_path / "old.db") as old:
        (digest, key_id), = old.execute("SELECT pincode_digest, pincode_key_id FROM avidtrak_accounts").fetchall()
    assert digest != sha256("5550001111") and key_id == server_keys(settings).key_id


# --- where the secret lives ----------------------------------------------------------------------

def test_secret_file_is_private_and_made_once(services, tmp_path):
    path = secret_path(services.settings)
    assert path is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    elsewhere = with_api(services.settings, **{"avidtrak.secret_file": str(tmp_path / "state" / "avidtrak.secret")})
    first = server_keys(elsewhere)
    assert stat.S_IMODE((tmp_path / "state" / "avidtrak.secret").stat().st_mode) == 0o600
    assert first != server_keys(services.settings)
    # another database naming the same file reads it again, and does not make a new one
    reread = Settings(db=f"sqlite:///{tmp_path / 'other.db'}", api=dict(elsewhere.api))
    assert server_keys(reread) == first


def test_configured_secrets_need_no_file(services, tmp_path):
    path = tmp_path / "never-made"
    configured = with_api(services.settings, **{"avidtrak.pincode_secret": "p" * 40, "avidtrak.seal_secret": "s" * 40,
                                                "avidtrak.secret_file": str(path)})
    keys = server_keys(configured)
    assert not path.exists()
    assert keys.pincode != keys.seal and keys.pincode_digest("4815162342") != sha256("4815162342")


def test_unreadable_secret_file_stops_the_server(services, tmp_path):
    path = tmp_path / "broken.secret"
    path.write_text("not hex\n")
    with pytest.raises(ConfigError, match="broken.secret"):
        server_keys(with_api(services.settings, **{"avidtrak.secret_file": str(path)}))
