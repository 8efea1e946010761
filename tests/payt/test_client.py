"""polytrack.payt.client: parsing of the wire format and the calls against the in-process app."""

from datetime import datetime, timezone

import pytest

from polytrack.payt import admin as payt_admin
from polytrack.payt.client import PaytApiError, PaytClient, TrackerProClient, parse_body, parse_dataset
from tests.payt.opsdata import PASSWORD, build_fleet


def test_parse_body_turns_date_literals_into_datetimes_but_not_inside_strings():
    body = parse_body('{"a":new Date(1583971200000),"b":"new Date(5)","c":"x\\"new Date(7)","d":[new Date(-1000)]}')
    assert body["a"] == datetime(2020, 3, 12, tzinfo=timezone.utc)
    assert body["b"] == "new Date(5)" and body["c"] == 'x"new Date(7)'
    assert body["d"] == [datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc)]


def test_parse_body_jsonp():
    assert parse_body('cb.x({"status":"ok","v":new Date(0)});')["v"] == datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_parse_dataset_iso_dates_in_datetime_columns_only():
    payload = {"datasetname": "X", "tables": [{
        "cols": [{"id": "0", "label": "When", "type": "datetime", "p": {}}, {"id": "1", "label": "Text", "type": "string", "p": {}}],
        "rows": [{"c": [{"v": "2024-09-10T09:00:00.1234567"}, {"v": "2024-09-10T09:00:00.0000000"}]}],
        "p": {"tablename": "T", "primarykey": [0]}}]}
    table = parse_dataset(payload).table("T")
    assert table.rows[0]["When"] == datetime(2024, 9, 10, 9, 0, 0, 123456, tzinfo=timezone.utc)
    assert table.rows[0]["Text"] == "2024-09-10T09:00:00.0000000"


@pytest.fixture
def acme(services):
    key = payt_admin.create_admin_key(services, name="integrator A")["key"]
    return build_fleet(services, "acme", admin_key=key, prefix="acme")


def test_client_round_trip(http, acme):
    client = PaytClient("", http=http)
    with pytest.raises(PaytApiError) as err:
        client.groups(3)
    assert err.value.reason == "user_not_authenticated" and err.value.message == "Access to the System denied"
    client.login(acme["boss"], PASSWORD)
    folders = client.groups(3)
    assert folders.name == "Folders" and folders.primarykey == [0] and len(folders.rows) == 4
    summary = client.detailed("20240610", "20240612")
    assert summary.rows[0]["Date"] == datetime(2024, 6, 9, 23, tzinfo=timezone.utc)
    records = client.detailed(datetime(2024, 6, 10), datetime(2024, 6, 11), vehicle_ids=[acme["vehicles"]["van1"]], level=1)
    assert records.rows[0]["DateTime"] == datetime(2024, 6, 10, 8, tzinfo=timezone.utc)
    client.logout()
    assert client.ticket is None


def test_client_with_dtm_o_gives_the_same_datetimes(http, acme):
    plain, iso = PaytClient("", http=http), PaytClient("", http=http, dtm="o")
    plain.login(acme["boss"], PASSWORD)
    iso.ticket = plain.ticket
    assert plain.vehicles().rows == iso.vehicles().rows


def test_trackerpro_client_errors(http, acme):
    tp = TrackerProClient("", "WRONG", http=http)
    with pytest.raises(PaytApiError) as err:
        tp.vehicles_for_client("acme")
    assert err.value.reason == "user_not_authenticated"
    tp.key = acme["admin_key"]
    with pytest.raises(PaytApiError) as err:
        tp.launch("nope")
    assert (err.value.reason, err.value.message) == ("invalid_query", "Unknown ssid")
