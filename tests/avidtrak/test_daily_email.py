"""The daily e-mail job: yesterday's calls e-mailed at 06:00 (server time zone) through a real
SMTP server (aiosmtpd), once per day and recipient, also with two job runs at once."""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from polytrack.avidtrak import daily_email
from tests.avidtrak.conftest import client
from tests.avidtrak.test_numbers import buy
from tests.avidtrak.test_voice import ingest

A, B = "4105550100", "4105550101"
ZONE = "America/New_York"  # 2024-06-11 in New York is 04:00Z on the 11th to 04:00Z on the 12th
BEFORE_SIX = datetime(2024, 6, 12, 9, 59, tzinfo=timezone.utc)  # 05:59 in New York
AT_SIX = datetime(2024, 6, 12, 10, 0, tzinfo=timezone.utc)


class Receiver:
    """aiosmtpd's handler: keeps what it received; while `refuse` is set, answers 451."""

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 try again later"
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address):
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp():
    receiver = Receiver()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield receiver, port
    finally:
        controller.stop()


@pytest.fixture
def job(services, smtp):
    """The job's settings: New York, 06:00, the local SMTP receiver, no background rounds (the
    tests run the job themselves)."""
    services.settings.api.update({"avidtrak.timezone": ZONE, "avidtrak.smtp_host": "127.0.0.1",
                                  "avidtrak.smtp_port": smtp[1], "avidtrak.smtp_from": "reports@polytrack.example",
                                  "avidtrak.daily_email_interval": 0})
    return daily_email.Job.of(services.settings)


@pytest.fixture
def numbers(hooks, agency, pro_client):
    """joesplumbing's A (e-mail to the owner and to two alert addresses) and B (alerts to one of
    them); calls on the 11th (New York) and one on the 12th."""
    api = client(hooks, pro_client["pincode"])
    buy(hooks, pro_client["pincode"], A, B)
    api.call("update_number_setting", sid=[A], enable_email="1", email_alerts="desk@joe.example,Boss@joe.example")
    api.call("update_number_setting", sid=[B], email_alerts="desk@joe.example")
    for sid, to, start, seconds in (("1", A, "2024-06-11 13:05:09", 125), ("2", A, "2024-06-11 20:00:00", 0),
                                    ("3", B, "2024-06-12 03:59:59", 61), ("4", A, "2024-06-12 04:00:00", 30),
                                    ("5", B, "2024-06-11 03:59:59", 7)):
        response = ingest(hooks, {"call_sid": "CA" + sid * 32, "to": to, "from": "4435551234",
                                  "caller_name": "SMITH JOHN", "start": start, "duration": seconds, "answer_at": 0,
                                  "recording_url": "https://api.twilio.com/rec/RE1" if sid == "1" else ""})
        assert response.status_code == 201, response.text
    return pro_client


def outbox(services, status=""):
    with services.engine.connect() as db:
        return daily_email.list_outbox(db, status)


def test_the_previous_day_is_sent_at_six_once_per_recipient(services, clock, job, smtp, numbers):
    receiver, _ = smtp
    clock.set(BEFORE_SIX)
    # the 11th is not due before 06:00; the 10th (New York) had B's call at 03:59:59Z on the 11th
    assert daily_email.run(services, job) == {
        "decided": {"2024-06-08": 0, "2024-06-09": 0, "2024-06-10": 1}, "sent": 1, "smtp": True}
    assert [(row["day"], row["recipient"]) for row in outbox(services)] == [("2024-06-10", "desk@joe.example")]
    receiver.messages.clear()
    clock.set(AT_SIX)
    assert daily_email.run(services, job) == {"decided": {"2024-06-11": 3}, "sent": 3, "smtp": True}
    assert daily_email.run(services, job) == {"decided": {}, "sent": 0, "smtp": True}
    assert sorted(address for recipients, _ in receiver.messages for address in recipients) == [
        "boss@joe.example", "desk@joe.example", "owner@joesplumbing.example"]
    [owner] = receiver.to("owner@joesplumbing.example")
    assert owner["Subject"] == "AvidTrak calls of 2024-06-11: 2 calls"
    assert owner["From"] == "reports@polytrack.example"
    body = owner.get_content().replace("\r\n", "\n")
    # New York times; the call at 04:00Z on the 12th and the one before 04:00Z on the 11th are other days
    assert "(410) 555-0100: 2 calls" in body and "09:05:09  4435551234 SMITH JOHN  2:05  no-forwarding  https://api.twilio.com/rec/RE1" in body
    assert "16:00:00" in body and "(410) 555-0101" not in body and "00:00:00" not in body
    [desk] = receiver.to("desk@joe.example")  # one message covering both numbers
    assert desk["Subject"] == "AvidTrak calls of 2024-06-11: 3 calls"
    assert "(410) 555-0101: 1 call\n  23:59:59  4435551234 SMITH JOHN  1:01  no-forwarding" in desk.get_content().replace("\r\n", "\n")
    assert {row["recipient"]: row["status"] for row in outbox(services) if row["day"] == "2024-06-11"} == {
        "owner@joesplumbing.example": "sent", "desk@joe.example": "sent", "boss@joe.example": "sent"}


def test_two_job_runs_at_once_send_each_message_once(services, clock, job, smtp, numbers):
    receiver, _ = smtp
    clock.set(AT_SIX)
    start = threading.Barrier(4)
    results, errors = [], []

    def run():
        start.wait()
        try:
            results.append(daily_email.run(services, job))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # the 11th (three recipients) and the 10th (B's call late in the evening: one)
    assert sum(result["sent"] for result in results) == 4
    decided = [result["decided"] for result in results if result["decided"]]
    assert sorted(day for each in decided for day in each) == ["2024-06-09", "2024-06-10", "2024-06-11"]
    assert len(receiver.messages) == 4


def test_no_calls_no_message_and_days_missed_are_caught_up(services, clock, job, smtp, numbers):
    receiver, _ = smtp
    clock.set(datetime(2024, 6, 15, 10, 0, tzinfo=timezone.utc))  # down from the 12th to the 15th
    assert daily_email.run(services, job)["decided"] == {"2024-06-12": 3, "2024-06-13": 0, "2024-06-14": 0}
    # the 11th is beyond the last LOOKBACK_DAYS days; the 12th's one call (A, 04:00Z) is sent to
    # A's three recipients, the days without calls to nobody
    assert sorted(address for recipients, _ in receiver.messages for address in recipients) == [
        "boss@joe.example", "desk@joe.example", "owner@joesplumbing.example"]
    assert {row["day"] for row in outbox(services)} == {"2024-06-12"}
    # a day given by hand: the 11th
    assert daily_email.run(services, job, date(2024, 6, 11))["decided"] == {"2024-06-11": 3}
    assert daily_email.run(services, job, date(2024, 6, 11))["decided"] == {}


def test_without_smtp_messages_wait_in_the_outbox_for_the_operator(services, clock, admin, numbers):
    services.settings.api.update({"avidtrak.timezone": ZONE})
    clock.set(AT_SIX)
    job = daily_email.Job.of(services.settings)
    assert job.smtp is None
    assert daily_email.run(services, job)["decided"]["2024-06-11"] == 3
    listed = admin.get("/_polytrack/avidtrak/daily-emails", params={"status": "unsent"}).json()["messages"]
    assert sorted(row["recipient"] for row in listed if row["day"] == "2024-06-11") == ["boss@joe.example", "desk@joe.example",
                                                          "owner@joesplumbing.example"]
    assert all(row["attempts"] == 0 and row["sent_at"] is None for row in listed)
    assert admin.get("/_polytrack/avidtrak/daily-emails", params={"status": "nope"}).status_code == 400
    assert admin.get("/_polytrack/avidtrak/daily-emails", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_failing_smtp_server_is_retried_with_backoff(services, clock, job, smtp, numbers):
    receiver, _ = smtp
    clock.set(AT_SIX)
    receiver.refuse = True
    assert daily_email.run(services, job)["sent"] == 0
    rows = outbox(services)
    assert {row["status"] for row in rows} == {"unsent"} and {row["attempts"] for row in rows} == {1}
    assert all("451" in row["last_error"] for row in rows)
    receiver.refuse = False
    clock.advance(30)  # the first retry waits a minute
    assert daily_email.run(services, job)["sent"] == 0
    clock.advance(30)
    assert daily_email.run(services, job)["sent"] == 4
    assert {(row["status"], row["attempts"], row["last_error"]) for row in outbox(services)} == {("sent", 2, "")}
    assert len(receiver.messages) == 4


def test_a_message_is_given_up_after_the_last_attempt(services, clock, job, smtp, numbers):
    receiver, _ = smtp
    clock.set(AT_SIX)
    receiver.refuse = True
    for delay in (0, *daily_email.RETRY_DELAYS):
        clock.advance(delay)
        daily_email.run(services, job)
    assert {(row["status"], row["attempts"]) for row in outbox(services)} == {("failed", daily_email.MAX_ATTEMPTS)}
    clock.advance(10 ** 6)
    receiver.refuse = False
    assert daily_email.run(services, job)["sent"] == 0 and receiver.messages == []


def test_the_background_task_sends_when_the_worker_runs(services, clock, smtp, numbers):
    """The package's background task, started with the app (the TestClient runs its lifespan)."""
    from starlette.testclient import TestClient

    from polytrack.app import create_app

    receiver, port = smtp
    services.settings.api.update({"avidtrak.timezone": ZONE, "avidtrak.smtp_host": "127.0.0.1",
                                  "avidtrak.smtp_port": port, "avidtrak.daily_email_interval": 0.05})
    clock.set(AT_SIX)
    with TestClient(create_app(services=services)):
        for _ in range(200):
            if len(receiver.messages) == 4:
                break
            threading.Event().wait(0.05)
    assert len(receiver.messages) == 4


@pytest.mark.parametrize("day", ["2024-06-12", "2024-06-31", "yesterday", "2024-6-1"])
def test_the_job_refuses_a_day_not_over_or_not_a_date(services, clock, day):
    from polytrack.admin_http import AdminError
    from polytrack.avidtrak.admin import send_daily_emails

    clock.set(AT_SIX)
    with pytest.raises(AdminError):
        send_daily_emails(services, {"day": day})
