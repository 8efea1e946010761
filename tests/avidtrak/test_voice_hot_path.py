"""The voice webhooks' hot path: TwiML from fixed templates stays valid XML whatever the text,
the lean form reader reads as urllib does, concurrent webhooks share transactions (group
commit), and a call that was answered survives a killed server."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
import os
import signal
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from polytrack.app import create_app
from polytrack.avidtrak import calls, voice
from tests.avidtrak.conftest import BASE, TOKEN, client
from tests.avidtrak.test_voice import A, incoming, joe  # noqa: F401  (joe: a fixture)
from tests.serving import Server, run

pytestmark = pytest.mark.usefixtures("services")

XML_CHARS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def _valid_xml_text(value: str) -> str:
    return voice._NOT_XML.sub("", value)


@hsettings(max_examples=200, deadline=None)
@given(greeting=XML_CHARS, whisper=XML_CHARS, caller=XML_CHARS, extension=XML_CHARS, receiver=XML_CHARS,
       base=XML_CHARS, recording=st.booleans(), step=st.sampled_from([1, 2]))
def test_twiml_is_valid_xml_whatever_the_text(greeting, whisper, caller, extension, receiver, base, recording, step):
    plan = [calls.Candidate("4105559876", "", False), calls.Candidate(receiver, extension, True)]
    call = calls.Call(7, "CA1", "in-progress", step, plan, 3, greeting, whisper, recording, 4, caller, 1)
    root = ET.fromstring(voice.decision(base, call).body)
    assert root.tag == "Response"
    dialled = root.find("Dial")
    assert dialled is not None
    number = dialled.find("Number")
    assert number is not None
    assert number.text == _valid_xml_text(voice.e164(plan[step - 1].number)) or (
        number.text is None and not _valid_xml_text(plan[step - 1].number))
    assert dialled.attrib["callerId"] == _valid_xml_text(voice.e164(caller))
    assert dialled.attrib["action"] == _valid_xml_text(base) + f"/voice/dial-result?step={step}"
    assert ("record" in dialled.attrib) == recording
    assert ("url" in number.attrib) == bool(whisper)
    if whisper:
        assert number.attrib["url"] == _valid_xml_text(base) + "/voice/whisper?call_id=7"
    spoken = root.find("Say")
    if step == 1 and greeting:
        assert spoken is not None and (spoken.text or "") == _valid_xml_text(greeting)
    else:
        assert spoken is None
    for status in ("suspended", "no-forwarding", "answered"):
        ET.fromstring(voice.decision(base, call._replace(status=status)).body)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6), st.text(max_size=20))
def test_the_form_reader_reads_as_urllib(pairs, raw):
    for body in (urlencode(pairs), raw, urlencode(pairs) + "&" + raw):
        assert voice.form_pairs(body.encode()) == parse_qsl(body, keep_blank_values=True)


@pytest.mark.parametrize("body", ["From=%2B14435551234&To=%2b1410", "a=%2B%2B1&b=%2B1+2&c=%2B&d=%2&e=%2B1%2",
                                  "x%2By=%2B1&%2B=+%2B+"])
def test_the_form_reader_reads_escaped_phone_numbers_as_urllib(body):
    assert voice.form_pairs(body.encode()) == parse_qsl(body, keep_blank_values=True)


def test_concurrent_calls_share_transactions_and_each_is_answered_after_its_commit(hooks, services, joe):
    app = create_app(services=services)
    store = next(route.endpoint.__self__.store for route in app.routes if getattr(route, "path", "") == "/voice/incoming")
    validator = RequestValidator(TOKEN)

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            async def one(n):
                params = {"CallSid": f"CAgroup{n:02d}", "From": f"+1443555{n:04d}", "To": "+1" + A}
                signature = validator.compute_signature(BASE + "/voice/incoming", params)
                return await client.post("/voice/incoming", data=params, headers={"X-Twilio-Signature": signature})
            return await asyncio.gather(*(one(n) for n in range(20)))

    answers = asyncio.run(send_all())
    assert all(answer.status_code == 200 and b"<Dial" in answer.content for answer in answers)
    assert store.group_commit.items_stored == 20 and store.group_commit.batches < 20
    with services.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM avidtrak_calls WHERE call_sid LIKE 'CAgroup%'")).scalar()
        # the round robin (no default first: 4105559876 is the default, then the list) moved once per call
        pointer = conn.execute(text("SELECT rr_next FROM avidtrak_numbers WHERE number = :n"), {"n": A}).scalar()
    assert stored == 20
    assert pointer == 0  # use_default_first: the list is dialled only after the default, so it never moved


def test_the_routing_cache_follows_changes_made_by_operations(hooks, joe):
    assert b"Thank you for calling" in incoming(hooks, "CAcache1").content
    client(hooks, joe).call("update_number_setting", sid=[A], greet_caller="Welcome back.")
    answer = incoming(hooks, "CAcache2").content
    assert b"Welcome back." in answer and b"Thank you" not in answer


def test_an_answered_call_survives_a_killed_server(database_url, tmp_path):
    run("demo", "seed", "--db", database_url)
    server = Server("--db", database_url, "--osmand-port", "0", cwd=tmp_path).wait_ready()
    try:
        creds = json.loads(run("demo", "credentials", "--json", "--base-url", server.url, "--db",
                               database_url).stdout)["avidtrak"]
        validator = RequestValidator(creds["twilio_auth_token"])
        for n in range(5):
            params = {"CallSid": f"CAkill{n}", "From": "+14435551234", "To": "+14105550100"}
            signature = validator.compute_signature(creds["webhook_url"], params)
            answer = httpx.post(creds["webhook_url"], data=params, headers={"X-Twilio-Signature": signature})
            assert answer.status_code == 200 and b"<Dial" in answer.content, answer.text
    finally:  # the server and its worker, killed at once, with no chance to tidy up
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM avidtrak_calls WHERE call_sid LIKE 'CAkill%'")).scalar()
    finally:
        engine.dispose()
    assert count == 5


def _list_first(hooks, joe):
    """Number A rings its round robin (4105551111, 4105552222) first, without the default."""
    entry = client(hooks, joe).call("list_round_robin", sid=A)[0]["round_robin_list_id"]
    client(hooks, joe).call("edit_round_robin", sid=A, round_robin_list_id=entry, forwarding_number="4105551111",
                            use_default_first="no")


def _first_dialled(answer) -> str:
    return ET.fromstring(answer.content).find("Dial/Number").text


def test_a_retried_incoming_webhook_does_not_move_the_rotation(hooks, joe):
    _list_first(hooks, joe)
    first = incoming(hooks, "CArot1")
    assert _first_dialled(first) == "+14105551111"
    assert incoming(hooks, "CArot1").content == first.content  # the retry: the stored decision
    assert _first_dialled(incoming(hooks, "CArot2")) == "+14105552222"
    assert _first_dialled(incoming(hooks, "CArot3")) == "+14105551111"


def test_concurrent_calls_on_several_connections_each_start_at_the_next_entry(hooks, services, joe):
    """Every request on a thread and event loop of its own (a TestClient outside `with`), so on a
    connection and in a transaction of its own, as in several workers."""
    _list_first(hooks, joe)
    app = create_app(services=services)
    clients = [TestClient(app, base_url=BASE) for _ in range(4)]

    def one(n):
        return _first_dialled(incoming(clients[n % 4], f"CAconc{n:02d}"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = list(pool.map(one, range(20)))
    assert Counter(first) == {"+14105551111": 10, "+14105552222": 10}
    with services.engine.connect() as conn:
        plans = conn.execute(text("SELECT dial_plan FROM avidtrak_calls WHERE call_sid LIKE 'CAconc%' "
                                  "ORDER BY call_sid")).scalars().all()
    # each call's stored plan starts where its answer did
    assert ["+1" + json.loads(plan)[0][0] for plan in plans] == first
