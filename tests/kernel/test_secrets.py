"""kernel.secrets: password hashes, lookup digests, random credentials."""

import re

import pytest

from polytrack.kernel import secrets


def test_hash_and_verify():
    stored = secrets.hash_password("pw-123456")
    assert stored.startswith("scrypt$") and "pw-123456" not in stored
    assert secrets.verify_password("pw-123456", stored)
    assert not secrets.verify_password("pw-123457", stored)
    assert not secrets.verify_password("", stored)


def test_same_password_hashes_differently():
    assert secrets.hash_password("same") != secrets.hash_password("same")


def test_unicode_password():
    stored = secrets.hash_password("pässwörd ☃")
    assert secrets.verify_password("pässwörd ☃", stored) and not secrets.verify_password("passwort", stored)


@pytest.mark.parametrize("stored", [
    None, "", "plain", "scrypt$", "md5$1$2$3$4$5", "scrypt$x$8$1$AAAA$AAAA", "scrypt$16384$8$1$!!!$@@@",
    "scrypt$16384$8$1$AAAA", "scrypt$16383$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "scrypt$1048576$8$1$AAAA$AAAA",
    "scrypt$16384$8$0$AAAA$AAAA", "scrypt$16384$8$1$AAAA$AAAA$extra",
])
def test_malformed_stored_values_are_false_never_errors(stored):
    assert secrets.verify_password("anything", stored) is False


def test_non_string_inputs_are_false():
    stored = secrets.hash_password("x")
    assert secrets.verify_password(None, stored) is False
    assert secrets.verify_password("x", b"scrypt$1$2$3$4$5") is False


def test_lookup_digest_is_deterministic_and_hides_the_secret():
    digest = secrets.lookup_digest("DEMO-KEY")
    assert digest == secrets.lookup_digest("DEMO-KEY") and len(digest) == 64 and "DEMO" not in digest
    assert digest != secrets.lookup_digest("demo-key")


def test_digests_equal_is_hmac_compare_digest(monkeypatch):
    calls = []
    real = secrets.hmac.compare_digest
    monkeypatch.setattr(secrets.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert secrets.digests_equal("abc", "abc") and not secrets.digests_equal("abc", "abd")
    assert len(calls) == 2  # constant-time comparison, not ==


def test_verify_uses_constant_time_compare(monkeypatch):
    stored = secrets.hash_password("x")
    calls = []
    real = secrets.hmac.compare_digest
    monkeypatch.setattr(secrets.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert secrets.verify_password("x", stored)
    assert calls == [1]


def test_random_credentials():
    assert re.fullmatch(r"[0-9a-f]{32}", secrets.random_hex())
    guid = secrets.random_guid()
    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", guid)
    digits = {secrets.random_digits(10) for _ in range(50)}
    assert len(digits) == 50 and all(re.fullmatch(r"[1-9]\d{9}", d) for d in digits)
    assert re.fullmatch(r"[A-Za-z0-9]{24}", secrets.random_alnum(24))
