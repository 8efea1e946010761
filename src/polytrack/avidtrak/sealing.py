"""Sealed client pincodes: client_list must show an agency its clients' pincodes, but the
database never stores a pincode in the clear.

A client's pincode is XOR-ed with a one-time pad
    HMAC-SHA256(seal_key, "avidtrak-seal:<agency id>:<client id>:" + nonce)
with a fresh random nonce per seal (so a regenerated pincode never reuses a pad), and stored as
hex(nonce) + hex(ciphertext). The pad binds the value to its agency and client row: copied to
another row it opens to garbage, which `unseal` detects by checking the result against the
account's pincode digest.

The seal key is the server's (server_keys.py), not derived from the agency's pincode, so the
operator can create clients and regenerate any pincode without knowing the agency's current
pincode (see docs/avidtrak.md "Pincodes"); it is not in the database, so a copy of the database
opens no sealed pincode.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Callable

from polytrack.kernel.secrets import digests_equal

NONCE_BYTES = 16


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


def unseal(key: bytes, *, agency_id: int, client_id: int, sealed: str | None, pincode_digest: str,
           digest_of: Callable[[str], str]) -> str | None:
    """The client's pincode, or None when the sealed value does not open to the pincode whose
    digest is stored (`digest_of(pincode)` makes that digest): a wrong key after a seal_secret
    change, or a value copied between rows."""
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
    return pincode if digests_equal(digest_of(pincode), pincode_digest) else None
