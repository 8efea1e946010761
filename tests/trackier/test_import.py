"""Conversion import (background jobs polled by GET /jobs/{id}): the network sets a
conversion's status and money, records conversions of clicks; failures are logged."""

from sqlalchemy import select, update

from polytrack.trackier import admin as trackier_admin
from polytrack.trackier.tables import trackier_conversions, trackier_jobs
from tests.trackier.conftest import error
from tests.trackier.test_tracking import click, click_id_of, postback, rows, world  # noqa: F401


def _import(http, auth, conversions) -> dict:
    queued = http.post("/network/conversion-import", headers=auth, json={"conversions": conversions}).json()
    assert queued["data"]["message"] == "Job has been queued!!" and queued["data"]["job"]["status"] == "pending"
    assert set(queued["data"]["job"]["created"]) == {"date", "timezone_type", "timezone"}
    # the job ran after the answer; its poll shows the outcome
    return http.get(f"/jobs/{queued['data']['job']['_id']}", headers=auth).json()["data"]


def test_the_network_sets_statuses_and_imports_conversions(http, auth, services, world):
    link = world["link"]["_id"]
    first, second = click_id_of(click(http, f"/{link}")), click_id_of(click(http, f"/{link}"))
    conversion_id = postback(http, world, first)["conversion_id"]
    done = _import(http, auth, [
        {"conversion_id": conversion_id, "status": "rejected", "payout": 0.5},
        {"click_id": second, "status": "pending", "revenue": "7.25", "txn_id": "T-1", "created": "2024-06-12 10:00:00"},
        {"click_id": "5dfa0000000000000000ffff"},
        {"conversion_id": conversion_id, "status": "sideways"},
    ])
    assert done["job"]["status"] == "completed" and done["job"]["name"] == "import.json.conversion"
    assert done["logs"][0]["message"] == "Total Processed: 4 | Imported: 1 | Edited: 1 | Errors: 2"
    stored = rows(services, trackier_conversions)
    assert [(r.status, r.payout_micros, r.revenue_micros) for r in stored] == [
        ("rejected", 500_000, 2_500_000), ("pending", 1_500_000, 7_250_000)]
    assert stored[1].txn_id == "T-1"
    assert stored[1].created_at == 1718166600.0  # 10:00 in Asia/Kolkata is 04:30 UTC
    listed = http.get("/jobs", headers=auth).json()["data"]["jobs"]
    assert [job["_id"] for job in listed] == [done["job"]["_id"]]
    error(http.post("/network/conversion-import", headers=auth, json={"conversions": "nope"}), 400, 20)
    other = trackier_admin.create_network(services, name="Other")
    other_key = {"X-Api-Key": trackier_admin.create_api_key(services, network_id=other["_id"], role="network")["key"]}
    error(http.get(f"/jobs/{done['job']['_id']}", headers=other_key), 404, 31)
    assert http.get("/jobs", headers=other_key).json()["data"]["jobs"] == []
    # another network's import cannot touch these conversions
    _import(http, other_key, [{"conversion_id": conversion_id, "status": "approved"}])
    assert rows(services, trackier_conversions)[0].status == "rejected"


def test_more_than_ten_failures_stop_the_job(http, auth):
    done = _import(http, auth, [{"click_id": "x"}] * 15)
    assert done["job"]["status"] == "failed"
    assert done["logs"][0]["message"] == "Total Processed: 11 | Imported: 0 | Edited: 0 | Errors: 11"


def test_a_job_left_in_progress_is_finished_by_the_next_poll(http, auth, services, clock):
    queued = http.post("/network/conversion-import", headers=auth, json={"conversions": [{"click_id": "x"}]}).json()
    job_id = queued["data"]["job"]["_id"]
    with services.engine.begin() as conn:  # as a server stopped mid-job leaves it
        conn.execute(update(trackier_jobs).values(status="progress", logs="[]", modified_at=clock.timestamp()))
    clock.advance(601)
    http.get(f"/jobs/{job_id}", headers=auth)
    with services.engine.connect() as conn:
        assert conn.execute(select(trackier_jobs.c.status)).scalar_one() == "completed"
