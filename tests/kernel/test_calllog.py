"""kernel.calllog: every call logged and timed, buffered in memory, written in batches."""

import pytest
from sqlalchemy import func, select

from polytrack.kernel.calllog import CallLog
from polytrack.kernel.tables import kernel_call_log


def rows(services):
    with services.engine.connect() as conn:
        return [r._asdict() for r in conn.execute(select(kernel_call_log).order_by(kernel_call_log.c.id))]


def test_records_are_buffered_until_flush(services, clock):
    log = CallLog(services.engine, clock)
    log.record(api="payt", operation="Authenticate/Login", account="a@b.c", outcome="ok", duration_ms=1.5)
    assert rows(services) == []
    assert log.flush() == 1
    (row,) = rows(services)
    assert (row["api"], row["operation"], row["account"], row["outcome"], row["duration_ms"], row["at"]) == (
        "payt", "Authenticate/Login", "a@b.c", "ok", 1.5, clock.timestamp())
    assert log.flush() == 0


def test_full_buffer_flushes_itself(services, clock):
    log = CallLog(services.engine, clock, flush_at=3)
    for i in range(7):
        log.record(api="mapp", operation=f"op{i}", account="", outcome="ok", duration_ms=0)
    assert len(rows(services)) == 6
    log.flush()
    assert [r["operation"] for r in rows(services)] == [f"op{i}" for i in range(7)]


def test_long_fields_are_cut_to_the_column_sizes(services, clock):
    log = CallLog(services.engine, clock)
    log.record(api="payt", operation="o" * 500, account="a" * 500, outcome="x" * 500, duration_ms=0)
    log.flush()
    (row,) = rows(services)
    assert (len(row["operation"]), len(row["account"]), len(row["outcome"])) == (128, 255, 64)


def test_timed_logs_outcome_account_and_duration(services, clock):
    log = CallLog(services.engine, clock)
    with log.timed(api="avidtrak", operation="get_remaining_balance") as call:
        call.account = "7300914852-owner"
    with log.timed(api="avidtrak", operation="purchase_number") as call:
        call.outcome = "insufficient_credit"
    log.flush()
    first, second = rows(services)
    assert (first["outcome"], first["account"]) == ("ok", "7300914852-owner") and first["duration_ms"] >= 0
    assert second["outcome"] == "insufficient_credit"


def test_timed_logs_internal_error_and_reraises(services, clock):
    log = CallLog(services.engine, clock)
    with pytest.raises(ZeroDivisionError):
        with log.timed(api="trackier", operation="GET /advertiser") as call:
            call.account = "net-1"
            1 / 0
    log.flush()
    assert [(r["outcome"], r["account"]) for r in rows(services)] == [("internal_error", "net-1")]


def test_disabled_log_writes_nothing(services, clock):
    log = CallLog(services.engine, clock, enabled=False)
    with log.timed(api="payt", operation="x"):
        pass
    log.record(api="payt", operation="y", account="", outcome="ok", duration_ms=0)
    assert log.flush() == 0 and rows(services) == []


def test_calls_over_http_reach_the_log(http, services):
    http.get("/api2.ashx", params={"op": "Authenticate", "subop": "Login", "username": "x@y.z", "password": "p"})
    services.calllog.flush()
    with services.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(kernel_call_log).where(kernel_call_log.c.api == "payt")).scalar()
    assert count == 1


def test_control_characters_never_cost_a_batch(services):
    """PostgreSQL refuses NUL in text; one such call must not lose the calls buffered with it."""
    log = services.calllog
    log.record(api="payt", operation="Group/Get\x00ByTypeID", account="a\x01b", outcome="ok", duration_ms=1.0)
    log.record(api="payt", operation="Vehicle/Get", account="x", outcome="ok", duration_ms=1.0)
    assert log.flush() == 2
    with services.engine.connect() as conn:
        ops = sorted(r.operation for r in conn.execute(select(kernel_call_log.c.operation)))
    assert ops == ["Group/Get?ByTypeID", "Vehicle/Get"]
