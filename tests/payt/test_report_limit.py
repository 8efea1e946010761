"""Report/Detailed level 1 and Report/Historic answer at most `payt.max_report_records`
records: a longer range (a year of a busy vehicle) is refused with invalid_query after reading
one record more than the limit, never loaded whole."""

import pytest
from starlette.testclient import TestClient

from polytrack.app import create_app
from polytrack.payt.importer import insert_positions
from polytrack.payt.operations.base import DEFAULT_MAX_REPORT_RECORDS
from tests.payt.opsdata import login, ms, payt, table_rows

TOO_LARGE = {"reason": "invalid_query",
             "message": f"Range too large: more than {DEFAULT_MAX_REPORT_RECORDS} records; ask for fewer days or vehicles"}
REPORTS = [("Detailed", {"levelOfDetail": "1"}), ("Historic", {})]


def report(http, ticket, subop, start, end, **params):
    return payt(http, ticket, "Report", subop, startDate=start, endDate=end, groupIDs="0", dtm="o",
                **{"vehicleIDs": "0", **params}).json()


def test_a_year_of_a_busy_vehicle_is_refused(http, services, acme):
    van1, device = acme["vehicles"]["van1"], acme["devices"]["van1"]
    start, step = ms(2023, 1, 1), 365 * 86_400_000 // DEFAULT_MAX_REPORT_RECORDS  # ~10 minutes apart
    with services.transaction() as db:
        insert_positions(db, [(van1, device, start + k * step, start, 51.5, -0.1, 30.0, 90.0, None, None, None, None)
                              for k in range(DEFAULT_MAX_REPORT_RECORDS + 1)])
    ticket = login(http, acme["boss"])
    for subop, params in REPORTS:
        assert report(http, ticket, subop, "20230101", "20240102", **params)["errors"] == [TOO_LARGE]
        one_day = report(http, ticket, subop, "20230601", "20230602", **params)
        assert one_day["status"] == "ok" and 130 <= len(table_rows(one_day, 0 if subop == "Detailed" else 1)) <= 140


@pytest.mark.parametrize("subop,params", REPORTS)
def test_the_limit_counts_records_of_every_vehicle(services, acme, subop, params):
    # acme on 10-11 June: van1 4 positions and an event between two of them, car1 1 position
    services.settings.api["payt.max_report_records"] = 5
    with TestClient(create_app(services=services), base_url="http://testserver") as http:
        ticket = login(http, acme["boss"])
        refused = report(http, ticket, subop, "20240610", "20240612", **params)
        assert refused["errors"] == [{"reason": "invalid_query",
                                      "message": "Range too large: more than 5 records; ask for fewer days or vehicles"}]
        van1 = report(http, ticket, subop, "20240610", "20240612", vehicleIDs=str(acme["vehicles"]["van1"]), **params)
        assert len(table_rows(van1, 0 if subop == "Detailed" else 1)) == 5
