"""kernel.tokens: issue, resolve, idle expiry, touch, revoke, single use."""

import threading

from sqlalchemy import select

from polytrack.kernel.sql import Transaction
from polytrack.kernel.secrets import lookup_digest
from polytrack.kernel.tables import kernel_tokens


def issue(services, token="TOKEN-1", **kwargs):
    args = {"api": "payt", "kind": "ticket", "subject": "7", "idle_seconds": 1200, "scope": "client-3", **kwargs}
    with services.transaction() as conn:
        return services.tokens.issue(conn, token=token, **args)


def resolve(services, token="TOKEN-1", api="payt", kind="ticket"):
    with services.transaction() as conn:
        return services.tokens.resolve(conn, api=api, kind=kind, token=token)


def stored(services, token="TOKEN-1"):
    with services.engine.connect() as conn:
        return conn.execute(select(kernel_tokens).where(kernel_tokens.c.digest == lookup_digest(token))).first()


def test_issue_stores_only_the_digest_and_resolve_finds_the_owner(services, clock):
    assert issue(services) == "TOKEN-1"
    row = stored(services)
    assert row.digest == lookup_digest("TOKEN-1") and "TOKEN-1" not in str(tuple(row))
    info = resolve(services)
    assert (info.api, info.kind, info.subject, info.scope, info.created_at) == ("payt", "ticket", "7", "client-3", clock.timestamp())


def test_unknown_empty_and_foreign_tokens_resolve_to_none(services):
    issue(services)
    assert resolve(services, token="nope") is None
    assert resolve(services, token="") is None and resolve(services, token=None) is None
    assert resolve(services, api="mapp") is None  # a PAYT ticket is no Mapp token
    assert resolve(services, kind="launch") is None
    assert resolve(services) is not None


def test_idle_expiry_deletes_the_token(services, clock):
    issue(services, idle_seconds=100)
    clock.advance(100)
    assert resolve(services) is not None  # exactly at the limit: still alive (and touched)
    clock.advance(101.5)  # past the idle window plus the touch lag grace (1 %)
    assert resolve(services) is None
    assert stored(services) is None


def test_use_slides_the_expiry(services, clock):
    issue(services, idle_seconds=100)
    for _ in range(5):
        clock.advance(90)
        assert resolve(services) is not None


def test_touch_writes_only_after_a_fraction_of_the_idle_window(services, clock):
    issue(services, idle_seconds=1000)
    issued = stored(services).last_used_at
    clock.advance(8)  # < 1 % of 1000 s: no write
    resolve(services)
    assert stored(services).last_used_at == issued
    clock.advance(4)  # 12 s since the last write: > 1 %
    resolve(services)
    assert stored(services).last_used_at == issued + 12


def test_revoke(services):
    issue(services)
    with services.transaction() as conn:
        assert services.tokens.revoke(conn, api="mapp", kind="ticket", token="TOKEN-1") is False
        assert services.tokens.revoke(conn, api="payt", kind="ticket", token="TOKEN-1") is True
        assert services.tokens.revoke(conn, api="payt", kind="ticket", token="TOKEN-1") is False
        assert services.tokens.revoke(conn, api="payt", kind="ticket", token="") is False
    assert resolve(services) is None


def test_revoke_subject_and_revoke_others(services):
    issue(services, token="A")
    issue(services, token="B")
    issue(services, token="C", subject="8")
    assert resolve(services, token="A") and resolve(services, token="B")
    issue(services, token="D", revoke_others=True)  # a new login of subject 7 kills A and B
    assert resolve(services, token="A") is None and resolve(services, token="B") is None
    assert resolve(services, token="D") and resolve(services, token="C")
    with services.transaction() as conn:
        assert services.tokens.revoke_subject(conn, api="payt", kind="ticket", subject="8") == 1
    assert resolve(services, token="C") is None


def test_single_use_token_works_once(services):
    issue(services, single_use=True)
    assert resolve(services) is not None
    assert resolve(services) is None


def test_single_use_token_is_won_by_exactly_one_concurrent_caller(services):
    issue(services, single_use=True, idle_seconds=300)
    winners, errors = [], []
    start = threading.Barrier(6)

    def contend():
        try:
            start.wait()
            info = resolve(services)
            if info is not None:
                winners.append(info)
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(winners) == 1


def test_rolled_back_resolve_keeps_single_use_token(services):
    issue(services, single_use=True)
    conn = services.engine.connect()
    with conn.begin() as tx:
        assert services.tokens.resolve(Transaction(conn), api="payt", kind="ticket", token="TOKEN-1") is not None
        tx.rollback()
    conn.close()
    assert resolve(services) is not None


def test_purge_expired(services, clock):
    issue(services, token="short", idle_seconds=10)
    issue(services, token="long", idle_seconds=1000)
    clock.advance(11)
    with services.transaction() as conn:
        assert services.tokens.purge_expired(conn) == 1
    assert stored(services, "short") is None and stored(services, "long") is not None


def test_resolve_joined_returns_the_joined_columns_under_the_same_rules(services, clock):
    from polytrack.kernel.sql import Statement
    from polytrack.kernel.tokens import TOKEN_COLUMNS

    joined = Statement(f"SELECT {TOKEN_COLUMNS}, t.subject || '-' || t.scope FROM kernel_tokens t WHERE t.digest = ?")
    issue(services)
    info, extra = services.tokens.resolve_joined(services.hot, joined, api="payt", kind="ticket", token="TOKEN-1")
    assert info.subject == "7" and extra == ("7-client-3",)
    assert services.tokens.resolve_joined(services.hot, joined, api="mapp", kind="ticket", token="TOKEN-1") is None
    clock.advance(1200 * 1.01 + 1)  # idle: deleted on sight, as resolve does
    assert services.tokens.resolve_joined(services.hot, joined, api="payt", kind="ticket", token="TOKEN-1") is None
    assert stored(services) is None
