"""The hot path: authentication on services.hot (one query for pincode, account and payer
balance), the rate-limit hit there too, no SQLAlchemy for a successful get_remaining_balance.

What it must keep: changes committed by another worker count from the next call on, refused
hits count, broken data and odd bytes still get the API's own envelope.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sqlalchemy import delete, event

from polytrack.avidtrak import domain
from polytrack.avidtrak.server_keys import server_keys
from polytrack.avidtrak.tables import avidtrak_accounts, avidtrak_wallets
from polytrack.avidtrak.wire import global_parameters
from polytrack.kernel.db import make_engine
from polytrack.kernel.sql import transaction
from polytrack.kernel.params import Params
from tests.avidtrak.conftest import URL, call
from tests.rawasgi import raw_get

pytestmark = pytest.mark.usefixtures("services")


@pytest.fixture
def other_worker(database_url):
    """A connection pool of its own, as another worker process would have."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_pincode_regenerated_by_another_worker_is_refused_at_once(http, services, other_worker, agency, pro_client):
    assert call(http, pro_client["pincode"], "get_remaining_balance")["code"] == 1  # hot connection warm
    with transaction(other_worker) as db:
        new = domain.regenerate_pincode(db, server_keys(services.settings), domain.account_by_userid(db, "joesplumbing"))
    assert call(http, pro_client["pincode"], "get_remaining_balance") == {
        "code": 4, "status": "Authentication Failed", "data": None}
    assert call(http, new, "get_remaining_balance")["data"]["billed_to"] == "agency"


def test_account_deleted_by_another_worker_is_refused_at_once(http, other_worker, agency, lite_client):
    assert call(http, lite_client["pincode"], "get_remaining_balance")["code"] == 1
    with transaction(other_worker) as db:
        db.execute(delete(avidtrak_accounts).where(avidtrak_accounts.c.userid == "mikesradio"))
    assert call(http, lite_client["pincode"], "get_remaining_balance")["code"] == 4


def test_balance_changed_by_another_worker_shows_on_the_next_call(http, services, other_worker, agency, pro_client):
    assert call(http, pro_client["pincode"], "get_remaining_balance")["data"]["balance"] == "50.00"
    with transaction(other_worker) as db:
        domain.add_credit(db, domain.account_by_userid(db, "acme_agency"), Decimal("-50.25"), "", services.clock.now())
    assert call(http, pro_client["pincode"], "get_remaining_balance")["data"] == {
        "balance": "-0.25", "currency": "USD", "billed_to": "agency", "account_status": "suspended"}
    assert call(http, agency["pincode"], "client_list")["data"][0]["status"] == "suspended"
    with transaction(other_worker) as db:
        domain.add_credit(db, domain.account_by_userid(db, "acme_agency"), Decimal("0.25"), "", services.clock.now())
    assert call(http, agency["pincode"], "get_remaining_balance")["data"] == {
        "balance": "0.00", "currency": "USD", "billed_to": "self", "account_status": "active"}
    assert call(http, agency["pincode"], "client_list")["data"][0]["status"] == "active"


def test_balance_joins_the_right_wallet_for_each_kind(http, admin, agency, pro_client):
    """The payer join: a client reads its agency's wallet, agencies and individuals their own."""
    from tests.avidtrak.conftest import create

    solo = create(admin, kind="individual", userid="solo_shop", password="Solo2024", account_type="pro",
                  initial_credit="7.10")
    other = create(admin, kind="agency", userid="globex", password="Globex2024", initial_credit="3")
    assert call(http, solo["pincode"], "get_remaining_balance")["data"]["balance"] == "7.10"
    assert call(http, other["pincode"], "get_remaining_balance")["data"]["balance"] == "3.00"
    assert call(http, pro_client["pincode"], "get_remaining_balance")["data"]["balance"] == "50.00"


@pytest.mark.parametrize("method", ["get_remaining_balance", "client_list"])
def test_payer_without_a_wallet_is_an_internal_error_envelope(http, admin, services, agency, pro_client, method):
    with services.transaction() as db:
        db.execute(delete(avidtrak_wallets))
    pincode = agency["pincode"]
    assert call(http, pincode, method) == {
        "code": 0, "status": "Unknown Error", "data": {"error": "internal_error", "message": "Internal error"}}
    root = call(http, pincode, method, "xml")
    assert root.findtext("code") == "0" and root.find("data").findtext("error") == "internal_error"
    # authentication itself still works: the pipeline's earlier answers are unchanged
    assert call(http, pincode, "list_numbers")["data"]["error"] == "no_data"
    entries = admin.get("/_polytrack/calls", params={"api": "avidtrak"}).json()["calls"]
    assert [(e["operation"], e["account"], e["outcome"]) for e in reversed(entries)][:1] == [
        (method, "acme_agency", "internal_error")]


def test_successful_balance_call_runs_no_sqlalchemy_statement(http, services, agency, pro_client):
    call(http, pro_client["pincode"], "get_remaining_balance")  # first call may lease rate-limit slots
    seen = []

    def record(_conn, _cursor, statement, *_args):
        if "kernel_call_log" not in statement:  # the log's background flush may run meanwhile
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            assert call(http, pro_client["pincode"], "get_remaining_balance")["code"] == 1
    finally:
        event.remove(services.engine, "before_cursor_execute", record)
    assert seen == []


# --- parameters -----------------------------------------------------------------------------------

def test_raw_non_utf8_query_bytes_get_an_envelope(app, agency):
    """Clients percent-encode, but raw bytes can arrive; they must not become a 500."""
    query = b"format=json&method=get_remaining_balance&pincode=" + agency["pincode"].encode() + b"\xff"
    status, body = raw_get(app, URL, query)
    assert status == 200
    assert body == b'{"code":4,"status":"Authentication Failed","data":null}'


_NAMES = st.sampled_from(["pincode", "PinCode", " pincode ", "PINCODE", "pincode[]", "pincode[0]", "format", "Format",
                          "format ", "method", "METHOD", "method[]", "other", ""])


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.text(alphabet="ab \t1", max_size=5)), max_size=8))
def test_global_parameters_read_as_kernel_params_would(pairs):
    params = Params(pairs, last_wins=True)
    expected = tuple((params.get(name) or "").strip() for name in ("format", "method", "pincode"))
    assert global_parameters(pairs) == expected
