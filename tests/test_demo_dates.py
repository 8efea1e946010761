"""The PAYT demo history sits on the three days before the day it is seeded (London time), the
same drives whatever that day is, so "yesterday" and "this week" reports of a fresh sandbox have
rows."""

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from polytrack.demo import seed_demo
from polytrack.kernel.db import wipe
from polytrack.payt import demo, demo_fleet
from polytrack.payt.tables import payt_daily_stats, payt_tasks, payt_vehicles
from tests.payt.opsdata import login, payt, table_rows

LONDON = demo_fleet.LONDON
TESTS_DAY = datetime(2024, 6, 12, 12, 0, tzinfo=timezone.utc)  # the frozen clock's default


def seeded_days(services, clock, when: datetime) -> dict:
    """Seed the demo with the clock at `when`; each vehicle's daily stats keyed by (registration,
    days before the seeding day), ignition times as local times of day."""
    wipe(services.engine)
    clock.set(when)
    seed_demo(services)
    seeded = when.astimezone(LONDON).date()

    def time_of_day(ms):
        return None if ms is None else datetime.fromtimestamp(ms / 1000, LONDON).strftime("%H:%M:%S.%f")

    with services.engine.connect() as conn:
        rows = conn.execute(select(payt_vehicles.c.registration, payt_daily_stats)
                            .join(payt_vehicles, payt_vehicles.c.id == payt_daily_stats.c.vehicle_id)).all()
    return {(r.registration, (seeded - r.day).days): (
        time_of_day(r.first_ignition_on_ms), time_of_day(r.last_ignition_off_ms), r.driving_seconds, r.idle_seconds,
        round(r.distance_m, 3), r.max_speed_kph, r.journeys, r.positions) for r in rows}


def test_the_demo_days_are_the_three_days_before_the_seeding_day(clock):
    assert demo_fleet.demo_days(date(2025, 3, 1)) == (date(2025, 2, 26), date(2025, 2, 27), date(2025, 2, 28))
    # the London date: 23:30 UTC on 30 June is already 1 July in London (BST)
    clock.set(datetime(2025, 6, 30, 23, 30, tzinfo=timezone.utc))
    assert demo_fleet.seeding_day(clock) == date(2025, 7, 1)
    assert demo_fleet.seeding_day(type(clock)(TESTS_DAY)) == date(2024, 6, 12)


@pytest.mark.parametrize("when", [
    datetime(2025, 3, 6, 12, 0, tzinfo=timezone.utc),  # GMT, where the tests' June day is BST
    datetime(2025, 3, 31, 9, 0, tzinfo=timezone.utc),  # the clocks went forward on the last demo day
])
def test_the_same_history_whatever_the_seeding_day(services, clock, when):
    on_tests_day = seeded_days(services, clock, TESTS_DAY)
    assert sorted({days_back for _registration, days_back in on_tests_day}) == [1, 2, 3]
    assert len(on_tests_day) == 12  # 4 vehicles x 3 days
    assert seeded_days(services, clock, when) == on_tests_day


def test_the_tests_day_keeps_the_june_2024_history(services, clock):
    """Seeded at the frozen clock's noon on 12 June 2024, the demo is where it always was."""
    seed_demo(services)
    with services.engine.connect() as conn:
        days = sorted({r.day for r in conn.execute(select(payt_daily_stats.c.day))})
        task_starts = sorted(r.start_ms for r in conn.execute(select(payt_tasks.c.start_ms)))
    assert days == [date(2024, 6, 9), date(2024, 6, 10), date(2024, 6, 11)]
    assert task_starts == [int(datetime(2024, 6, 10, hour, tzinfo=LONDON).timestamp() * 1000) for hour in (9, 11, 13)]


def test_yesterday_and_this_week_reports_of_a_fresh_demo_have_rows(http, admin, services, clock):
    clock.set(datetime(2025, 3, 6, 12, 0, tzinfo=timezone.utc))  # a Thursday
    assert admin.post("/_polytrack/seed").status_code == 200
    ticket = login(http, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)

    def detailed(start, end):
        body = payt(http, ticket, "Report", "Detailed", startDate=start, endDate=end, vehicleIDs="0", groupIDs="0",
                    levelOfDetail="0", dtm="o").json()
        assert body["status"] == "ok", body
        return table_rows(body)

    yesterday = detailed("20250305", "20250306")
    assert len(yesterday) == 4 and all(row["Journeys"] == 4 and row["DistanceKM"] > 0 for row in yesterday)
    assert len(detailed("20250303", "20250310")) == 12  # Monday to Sunday: the three days before Thursday
    assert detailed("20250306", "20250307") == []  # today: only what devices send
