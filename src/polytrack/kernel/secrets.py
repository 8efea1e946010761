"""Secrets: stored hashed, compared in constant time.

Two kinds of secret exist:
* passwords, chosen by people: salted scrypt, verified with `verify_password`;
* high-entropy credentials the server looks up by value (API keys, pincodes, admin keys,
  session tokens): stored as a SHA-256 `lookup_digest`, so the database never holds the
  secret itself but an index lookup still finds the owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import uuid

# scrypt work factor: ~15 ms per hash on this class of machine; interactive logins only.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


def hash_password(plain: str) -> str:
    salt = _secrets.token_bytes(16)
    digest = hashlib.scrypt(plain.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _SCRYPT_N, _SCRYPT_R, _SCRYPT_P,
        base64.b64encode(salt).decode(), base64.b64encode(digest).decode(),
    )


def verify_password(plain: str, stored: str | None) -> bool:
    """Constant-time check of `plain` against a `hash_password` value; False for any malformed input."""
    if not stored or not isinstance(plain, str):
        # Still spend the time of a hash so a missing user is not faster than a wrong password.
        hashlib.scrypt(b"x", salt=b"0" * 16, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
        return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest_b64)
        actual = hashlib.scrypt(
            plain.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def lookup_digest(secret: str) -> str:
    """Deterministic digest of a high-entropy secret, used as its database key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_hex(nbytes: int = 16) -> str:
    return _secrets.token_hex(nbytes)


def random_guid() -> str:
    """An upper-case hyphenated GUID (128 random bits), as .NET back ends issue them."""
    return str(uuid.uuid4()).upper()


def random_digits(length: int) -> str:
    first = str(_secrets.randbelow(9) + 1)
    return first + "".join(str(_secrets.randbelow(10)) for _ in range(length - 1))


def random_alnum(length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(_secrets.choice(alphabet) for _ in range(length))
