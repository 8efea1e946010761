"""The AvidTrak server secret: where it lives, the keys made from it, and bringing rows stored
before it existed up to it (docs/avidtrak.md "Pincodes").

A pincode is 10 digits, about 33 bits: from a plain SHA-256 of one, trying every value finds
it in minutes. So the digest that finds a pincode's account is keyed with a secret that is not
in the database:

    pincode digest = HMAC-SHA256(pincode key, hex SHA-256 of the pincode)

The inner SHA-256 is what was stored before there was a key, so those rows are upgraded without
knowing their pincodes (`upgrade_stored_rows`). Each row names the key that made its digest
(`pincode_key_id`, a public fingerprint; NULL for a plain SHA-256 from before). The key
sealing client pincodes for client_list (sealing.py) comes from the same secret.

Where the secret comes from, first match wins:
* the settings `avidtrak.pincode_secret` and `avidtrak.seal_secret`, each for its own key;
* else a random secret made on first start and kept in a file only its owner may read (0600):
  `avidtrak.secret_file` when set; next to a SQLite database (`<database>-avidtrak.secret`);
  for PostgreSQL in the state directory (`$STATE_DIRECTORY`, set by systemd's StateDirectory=,
  else `$XDG_STATE_HOME/polytrack`, else `~/.local/state/polytrack`), named by a hash of the
  server, database and user;
* an in-memory SQLite database (it dies with its process) gets a secret of the process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy.engine import make_url

from polytrack.avidtrak import sealing
from polytrack.config import ConfigError, Settings
from polytrack.kernel.db import normalise_url
from polytrack.kernel.dbfiles import server_digest, sqlite_file
from polytrack.kernel.secrets import lookup_digest
from polytrack.kernel.sql import Db, Statement

if TYPE_CHECKING:
    from polytrack.services import Services

log = logging.getLogger("polytrack.avidtrak")

SECRET_BYTES = 32


class ServerKeys(NamedTuple):
    pincode: bytes  # keys the pincodes' lookup digests
    seal: bytes  # seals client pincodes (sealing.py)
    key_id: str  # a public fingerprint of the pincode key: which key made a stored digest

    def pincode_digest(self, pincode: str) -> str:
        """What `avidtrak_accounts.pincode_digest` holds for this pincode."""
        return self.keyed(lookup_digest(pincode))

    def keyed(self, plain_digest: str) -> str:
        """The keyed digest of a pincode whose plain SHA-256 (hex) is `plain_digest`."""
        return hmac.digest(self.pincode, plain_digest.encode(), "sha256").hex()

    def sandbox_auth_token(self) -> str:
        """The sandbox provider's webhook signing token when `avidtrak.sandbox_auth_token` is not
        set: made from the server secret, so every worker and every restart agrees on it."""
        return hmac.digest(self.pincode, b"avidtrak-sandbox-auth-token", "sha256").hex()[:32]


def _derived(secret: bytes, purpose: bytes) -> bytes:
    return hmac.digest(secret, b"avidtrak-" + purpose, "sha256")


def _from_setting(label: bytes, value: str) -> bytes:
    # Keeps the seal key of earlier versions: SHA-256("avidtrak-seal-secret:" + seal_secret).
    return hashlib.sha256(label + value.encode()).digest()


def make_keys(pincode_key: bytes, seal_key: bytes) -> ServerKeys:
    return ServerKeys(pincode_key, seal_key, hmac.digest(pincode_key, b"avidtrak-key-id", "sha256").hex()[:16])


_loaded: dict[tuple[str, ...], ServerKeys] = {}
_loading = threading.Lock()


def server_keys(settings: Settings) -> ServerKeys:
    """This server's keys (see the module docstring); the secret file is read once per process."""
    pincode_secret = settings.api_setting("avidtrak.pincode_secret", "")
    seal_secret = settings.api_setting("avidtrak.seal_secret", "")
    memo = (settings.db, pincode_secret, seal_secret, settings.api_setting("avidtrak.secret_file", ""))
    with _loading:
        keys = _loaded.get(memo)
        if keys is None:
            secret = b"" if pincode_secret and seal_secret else _server_secret(settings)
            keys = _loaded[memo] = make_keys(
                _from_setting(b"avidtrak-pincode-secret:", pincode_secret) if pincode_secret
                else _derived(secret, b"pincode-lookup"),
                _from_setting(b"avidtrak-seal-secret:", seal_secret) if seal_secret else _derived(secret, b"pincode-seal"),
            )
        return keys


def secret_path(settings: Settings) -> Path | None:
    """The file holding the server secret; None for an in-memory SQLite database."""
    configured = settings.api_setting("avidtrak.secret_file", "")
    if configured:
        return Path(configured).expanduser()
    url = make_url(normalise_url(settings.db))
    if url.get_backend_name() == "sqlite":
        database = sqlite_file(url)
        return None if database is None else Path(database + "-avidtrak.secret")
    return state_directory() / f"avidtrak-{server_digest(url)}.secret"


def state_directory() -> Path:
    systemd = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    xdg = os.environ.get("XDG_STATE_HOME", "")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "polytrack"


def _server_secret(settings: Settings) -> bytes:
    path = secret_path(settings)
    if path is None:
        return secrets.token_bytes(SECRET_BYTES)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: a process starting at
        # the same moment either links first (and every process reads its secret) or reads ours.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(SECRET_BYTES) + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
        finally:
            draft.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"avidtrak: cannot create the secret file {path}: {exc.strerror}; "
                          "set avidtrak.secret_file to a writable place or avidtrak.pincode_secret") from exc
    log.warning("avidtrak: created the server secret %s; keep it with the database's backups: "
                "without it no stored pincode can be used", path)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    text = path.read_text().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise ConfigError(f"avidtrak: {path} holds no secret (expected at least 32 hex digits); "
                          "restore it from a backup of the database's files")
    return secret


# --- rows stored before the keys existed --------------------------------------------------------

# Before the server secret, the seal key was kept in the database under this name.
LEGACY_SEAL_KEY = "pincode_seal"
# Two PostgreSQL workers starting at once upgrade one after the other (SQLite: BEGIN IMMEDIATE).
_UPGRADE_LOCK = 0x61766964  # "avid"

_ONE_AT_A_TIME = Statement("SELECT pg_advisory_xact_lock(?)")
_UNKEYED = Statement("SELECT id, pincode_digest FROM avidtrak_accounts WHERE pincode_key_id IS NULL")
_KEY_DIGEST = Statement("""
    UPDATE avidtrak_accounts SET pincode_digest = ?, pincode_key_id = ? WHERE id = ? AND pincode_key_id IS NULL
""")
_STORED_SEAL_KEY = Statement("SELECT value FROM avidtrak_server_keys WHERE name = ?")
_SEALED = Statement("""
    SELECT id, parent_id, pincode_sealed, pincode_digest FROM avidtrak_accounts
    WHERE pincode_sealed IS NOT NULL AND parent_id IS NOT NULL
""")
_RESEAL = Statement("UPDATE avidtrak_accounts SET pincode_sealed = ? WHERE id = ?")
_FORGET_SEAL_KEY = Statement("DELETE FROM avidtrak_server_keys WHERE name = ?")
_KEYED_OTHERWISE = Statement("SELECT COUNT(*) FROM avidtrak_accounts WHERE pincode_key_id <> ?")


def upgrade_stored_rows(db: Db, keys: ServerKeys, *, seal_key_was_stored: bool) -> int:
    """Key the plain SHA-256 digests stored before there was a pincode key, and move client
    pincodes sealed with the key the database used to hold to `keys.seal`; returns how many
    digests were keyed. Safe to run any number of times, from several processes at once.
    `seal_key_was_stored`: no `avidtrak.seal_secret` is set, so the database's key sealed them."""
    if db.dialect == "postgresql":
        db.run(_ONE_AT_A_TIME, (_UPGRADE_LOCK,))
    unkeyed = db.all(_UNKEYED)
    if unkeyed:
        db.many(_KEY_DIGEST, [(keys.keyed(plain), keys.key_id, account_id) for account_id, plain in unkeyed])
    stored = db.one(_STORED_SEAL_KEY, (LEGACY_SEAL_KEY,))
    if stored is not None:
        if seal_key_was_stored:
            _reseal(db, keys, old_key=bytes.fromhex(stored[0]))
        db.run(_FORGET_SEAL_KEY, (LEGACY_SEAL_KEY,))
    return len(unkeyed)


def _reseal(db: Db, keys: ServerKeys, *, old_key: bytes) -> None:
    resealed = []
    for account_id, agency_id, sealed, stored_digest in db.all(_SEALED):
        pincode = sealing.unseal(old_key, agency_id=agency_id, client_id=account_id, sealed=sealed,
                                 pincode_digest=stored_digest, digest_of=keys.pincode_digest)
        if pincode is not None:  # one that does not open shows as null today, and stays so
            resealed.append((sealing.seal(keys.seal, agency_id=agency_id, client_id=account_id, pincode=pincode),
                             account_id))
    if resealed:
        db.many(_RESEAL, resealed)


def prepare(services: "Services") -> ServerKeys:
    """The server's keys, with the stored rows upgraded to them: run before the API serves."""
    settings = services.settings
    keys = server_keys(settings)
    with services.transaction() as db:
        upgraded = upgrade_stored_rows(db, keys, seal_key_was_stored=not settings.api_setting("avidtrak.seal_secret", ""))
        keyed_otherwise = db.one(_KEYED_OTHERWISE, (keys.key_id,))[0]
    if upgraded:
        log.info("avidtrak: keyed the pincode digests of %d accounts with the server secret", upgraded)
    if keyed_otherwise:
        source = "the setting avidtrak.pincode_secret" if settings.api_setting("avidtrak.pincode_secret", "") \
            else f"the file {secret_path(settings)}"
        log.error("avidtrak: %d accounts have pincodes keyed with another secret than %s: they fail to "
                  "authenticate until that secret is restored or their pincodes are regenerated",
                  keyed_otherwise, source)
    return keys
