"""The Twilio provider's requests are the ones Twilio's own Python library sends for the same
operations (captured from the real `twilio` package with a recording HTTP client), and its
answers are read from Twilio's documented response shapes. Nothing reaches Twilio."""

import base64
import json
import logging
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from polytrack.avidtrak.providers import ProviderError, TwilioProvider

ACCOUNT, TOKEN, BASE = "AC" + "0" * 32, "secret-token", "https://track.example.com"
SID = "PN" + "a" * 32
# Twilio's documented AvailablePhoneNumbers answer (the fields the provider reads, and more).
OFFERS = {"available_phone_numbers": [
    {"friendly_name": "(410) 555-0177", "phone_number": "+14105550177", "lata": "238", "rate_center": "BALTIMORE",
     "locality": "Baltimore", "region": "MD", "postal_code": "21201", "iso_country": "US",
     "capabilities": {"voice": True, "SMS": True, "MMS": True}},
    {"friendly_name": "(410) 555-0123", "phone_number": "+14105550123", "rate_center": "TOWSON", "region": "MD",
     "iso_country": "US"},
    {"friendly_name": "+44 20 7183 8750", "phone_number": "+442071838750", "iso_country": "GB"},
], "uri": "/2010-04-01/Accounts/AC.../AvailablePhoneNumbers/US/Local.json", "page": 0, "page_size": 22,
    "start": 0, "end": 2, "first_page_uri": "", "next_page_uri": None, "previous_page_uri": None}


class Official(HttpClient):
    """What twilio's library sends: method, URL, query, form, basic credentials."""

    def __init__(self):
        super().__init__(logging.getLogger("tests.twilio"), False)
        self.seen = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.seen.append((method, url, {k: str(v) for k, v in (params or {}).items()}, dict(data or {}), auth))
        if method == "GET":
            return Response(200, json.dumps(OFFERS))
        return Response(201, json.dumps({"sid": SID})) if method == "POST" else Response(204, "")


def ours(status=None):
    """A TwilioProvider on a recording transport: (provider, seen)."""
    seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        user, _, password = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
        seen.append((request.method, str(request.url.copy_with(query=None)), dict(request.url.params),
                     dict(parse_qsl(request.content.decode())), (user, password)))
        if status:
            return httpx.Response(status, json={"code": 21422, "message": "not available"})
        if request.method == "GET":
            return httpx.Response(200, json=OFFERS)
        return httpx.Response(201, json={"sid": SID}) if request.method == "POST" else httpx.Response(204)

    return TwilioProvider(ACCOUNT, TOKEN, BASE + "/", http=httpx.Client(transport=httpx.MockTransport(handle))), seen


def official():
    recorder = Official()
    return Client(ACCOUNT, TOKEN, http_client=recorder), recorder.seen


def test_search_local_is_the_official_request_and_reads_the_answer():
    provider, seen = ours()
    found = provider.search("local", "410", "US", 2, unavailable={"4105550123"})
    twilio, expected = official()
    twilio.available_phone_numbers("US").local.list(area_code=410, voice_enabled=True, page_size=22, limit=22)
    assert seen == expected
    assert [(n.number, n.friendly_name, n.region, n.rate_center, n.country) for n in found] == [
        ("4105550177", "(410) 555-0177", "MD", "BALTIMORE", "US")]  # released 0123 and the +44 number dropped


def test_search_toll_free_is_the_official_request():
    provider, seen = ours()
    provider.search("toll", "800", "US", 3, unavailable=())
    twilio, expected = official()
    twilio.available_phone_numbers("US").toll_free.list(area_code=800, voice_enabled=True, page_size=23, limit=23)
    assert seen == expected


def test_purchase_is_the_official_request_with_our_webhooks():
    provider, seen = ours()
    assert provider.purchase("4105550177", "US") == SID
    twilio, expected = official()
    twilio.incoming_phone_numbers.create(
        phone_number="+14105550177", voice_url=BASE + "/voice/incoming", voice_method="POST",
        status_callback=BASE + "/voice/status", status_callback_method="POST")
    assert seen == expected


def test_release_is_the_official_request():
    provider, seen = ours()
    provider.release(SID)
    twilio, expected = official()
    twilio.incoming_phone_numbers(SID).delete()
    assert seen == expected


@pytest.mark.parametrize("operation", ["search", "purchase", "release"])
def test_twilio_errors_are_provider_errors(operation):
    provider, _ = ours(status=400)
    with pytest.raises(ProviderError):
        {"search": lambda: provider.search("local", "410", "US", 1, ()),
         "purchase": lambda: provider.purchase("4105550177", "US"),
         "release": lambda: provider.release(SID)}[operation]()


def test_the_twilio_provider_is_chosen_by_settings():
    from polytrack.avidtrak.providers import build

    settings = {"avidtrak.provider": "twilio", "avidtrak.twilio_account_sid": ACCOUNT,
                "avidtrak.twilio_auth_token": TOKEN, "avidtrak.public_base_url": BASE}
    provider = build(lambda name, default: settings.get(name, default), "sandbox-token")
    assert isinstance(provider, TwilioProvider) and provider.signing_token == TOKEN
    with pytest.raises(ValueError):
        build(lambda name, default: {"avidtrak.provider": "twilio"}.get(name, default), "sandbox-token")
    assert build(lambda name, default: default, "sandbox-token").signing_token == "sandbox-token"
