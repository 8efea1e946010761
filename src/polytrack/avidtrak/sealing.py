"""Sealed client pincodes: client_list must show an agency its clients' pincodes, but the
database never stores a pincode in the clear.

A client's pincode is XOR-ed with a one-time pad
    HMAC-SHA256(seal_key, "avidtrak-seal:<agency id>:<client id>:" + nonce)
with a fresh random nonce per seal (so a regenerated pincode never reuses a pad), and stored as
hex(nonce) + hex(ciphertext). The pad binds the value to its agency and client row: copied to
another row it opens to garbage, which `unseal` detects by checking the result against the
account's pincode digest.

The seal key comes from the server, not from the agency's pincode, so the operator can create
clients and regenerate any pincode without knowing the agency's current pincode (see
docs/avidtrak.md "Pincodes"). It is `avidtrak.seal_secret` from the configuration when set (then
a database dump alone reveals no sealed pincode); otherwise a random key created on first use
and kept in avidtrak_server_keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from polytrack.avidtrak.values import utc_naive
from polytrack.kernel.secrets import digests_equal, lookup_digest
from polytrack.kernel.sql import Db, Statement

NONCE_BYTES = 16
SEAL_KEY_NAME = "pincode_seal"


_STORED_KEY = Statement("SELECT value FROM avidtrak_server_keys WHERE name = ?")
# Two workers may create the key at once: the first insert wins, the other reads it back.
_NEW_KEY = Statement("INSERT INTO avidtrak_server_keys (name, value, created_on) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")


def seal_key(db: Db, services) -> bytes:
    """The key sealing client pincodes: from the configuration, else the database's own."""
    configured = services.settings.api_setting("avidtrak.seal_secret", "")
    if configured:
        return hashlib.sha256(b"avidtrak-seal-secret:" + configured.encode()).digest()
    row = db.one(_STORED_KEY, (SEAL_KEY_NAME,))
    if row is None:
        db.run(_NEW_KEY, (SEAL_KEY_NAME, secrets.token_hex(32), utc_naive(services.clock.now())))
        row = db.one(_STORED_KEY, (SEAL_KEY_NAME,))
    return bytes.fromhex(row[0])


def _pad(key: bytes, agency_id: int, client_id: int, nonce: bytes) -> bytes:
    label = f"avidtrak-seal:{agency_id}:{client_id}:".encode()
    return hmac.new(key, label + nonce, hashlib.sha256).digest()


def seal(key: bytes, *, agency_id: int, client_id: int, pincode: str) -> str:
    plain = pincode.encode("ascii")
    nonce = secrets.token_bytes(NONCE_BYTES)
    pad = _pad(key, agency_id, client_id, nonce)
    if len(plain) > len(pad):
        raise ValueError("pincode longer than the pad")
    cipher = bytes(p ^ k for p, k in zip(plain, pad))
    return nonce.hex() + cipher.hex()


def unseal(key: bytes, *, agency_id: int, client_id: int, sealed: str | None, pincode_digest: str) -> str | None:
    """The client's pincode, or None when the sealed value does not open to the pincode whose
    digest is stored (wrong key after a seal_secret change, or a value copied between rows)."""
    if not sealed:
        return None
    try:
        raw = bytes.fromhex(sealed)
    except ValueError:
        return None
    nonce, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    pad = _pad(key, agency_id, client_id, nonce)
    try:
        pincode = bytes(c ^ k for c, k in zip(cipher, pad)).decode("ascii")
    except UnicodeDecodeError:
        return None
    return pincode if digests_equal(lookup_digest(pincode), pincode_digest) else None
