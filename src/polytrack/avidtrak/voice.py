"""The collection side of calls: Twilio-shaped voice webhooks and the provider-neutral ingest.

Webhooks (POST, form-encoded, as Twilio sends them), each signed with X-Twilio-Signature:

    /voice/incoming      a call arrives: TwiML with the routing decision (greeting, first dial)
    /voice/dial-result   <Dial action>: answered, or the next receiving number, or "sorry"
    /voice/status        the inbound leg's final status: duration, talk time charged
    /voice/recording     the recording's URL
    /voice/whisper       TwiML the answering receiver hears before being connected

The signature is Twilio's: base64(HMAC-SHA1(signing token, URL + every POST parameter name
and value, sorted by name)), the URL being the one the request was sent to, or
`avidtrak.public_base_url` + path when the server sits behind a proxy; like Twilio's own
validator we also accept the URL with the default port added or removed. The token is the
provider's (Twilio: the account's auth token; the sandbox: its own). A request without a
valid signature gets 403 and records nothing. Every call's changes are committed before the
webhook is answered.

    POST /ingest/call    Authorization: Bearer <avidtrak.ingest_token>; a whole call as JSON
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from polytrack.avidtrak import calls, values
from polytrack.avidtrak.billing import Prices
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.kernel.params import BadInput, read_form_pairs, read_json
from polytrack.services import Services

log = logging.getLogger("polytrack.avidtrak")

TWIML_TYPE = "text/xml; charset=utf-8"
SUSPENDED_MESSAGE = "This number is temporarily unavailable."
NOT_CONFIGURED_MESSAGE = "This number is not configured to receive calls."
SORRY_MESSAGE = "Sorry, no one is available to take your call."


# --- Twilio's signature ------------------------------------------------------------------------

def signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature of a request: what twilio.request_validator computes (names sorted,
    each name's distinct values sorted)."""
    by_name: dict[str, set[str]] = {}
    for name, value in params:
        by_name.setdefault(name, set()).add(value)
    text = url + "".join(name + value for name in sorted(by_name) for value in sorted(by_name[name]))
    return base64.b64encode(hmac.digest(token.encode(), text.encode(), hashlib.sha1)).decode()


def _port_variants(url: str) -> list[str]:
    """The URL as given, without its port, and with the scheme's default port (Twilio's own
    validator accepts all three)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = 443 if parts.scheme == "https" else 80
    without = urlunsplit(parts._replace(netloc=host))
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return list(dict.fromkeys([url, without, with_port]))


def signed(token: str, url: str, params: list[tuple[str, str]], given: str) -> bool:
    if not given or not token:
        return False
    return any(_equal(signature(token, candidate, params), given) for candidate in _port_variants(url))


# --- TwiML ------------------------------------------------------------------------------------

def twiml(*verbs: ET.Element) -> Response:
    root = ET.Element("Response")
    root.extend(verbs)
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Response(body, media_type=TWIML_TYPE)


def verb(name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.Element(name, {key: value for key, value in attributes.items() if value})
    element.text = text
    return element


def e164(number: str) -> str:
    return "+1" + number if len(number) == 10 and number.isdigit() else number


def dial(base: str, call: calls.Call, step: int, *, greet: bool) -> Response:
    candidate = call.plan[step - 1]
    target = verb("Number", e164(candidate.number),
                  url=f"{base}/voice/whisper?call_id={call.id}" if call.whisper else "",
                  sendDigits="ww" + candidate.extension if candidate.extension else "")
    dialled = verb("Dial", action=f"{base}/voice/dial-result?call_id={call.id}&step={step}", method="POST",
                   timeout=str(calls.timeout(call)), callerId=e164(call.caller_number),
                   record="record-from-answer-dual" if call.recording else "",
                   recordingStatusCallback=f"{base}/voice/recording?call_id={call.id}" if call.recording else "")
    dialled.append(target)
    greeting = [verb("Say", call.greeting)] if greet and call.greeting else []
    return twiml(*greeting, dialled)


def decision(base: str, call: calls.Call) -> Response:
    """The answer to /voice/incoming for a stored call (also when the webhook is retried)."""
    if call.status == "suspended":
        return twiml(verb("Say", SUSPENDED_MESSAGE), verb("Hangup"))
    if call.status == "no-forwarding":
        greeting = [verb("Say", call.greeting)] if call.greeting else []
        return twiml(*greeting, verb("Say", NOT_CONFIGURED_MESSAGE), verb("Hangup"))
    if call.status == "in-progress":
        return dial(base, call, call.step, greet=call.step == 1)
    return twiml(verb("Hangup"))


# --- the endpoints ----------------------------------------------------------------------------

class Webhooks:
    """The voice webhooks and the ingest of one app; settings read once."""

    def __init__(self, services: Services, signing_token: str, prices: Prices):
        knob = services.settings.api_setting
        self.services = services
        self.token = signing_token
        self.public_base_url = knob("avidtrak.public_base_url", "").rstrip("/")
        self.ingest_token = knob("avidtrak.ingest_token", "")
        self.sandbox_clock = knob("avidtrak.sandbox_clock", False)
        self.prices = prices

    def _base(self, request: Request) -> str:
        return self.public_base_url or f"{request.url.scheme}://{request.url.netloc}"

    def _signed_url(self, request: Request) -> str:
        if not self.public_base_url:
            return str(request.url)
        query = request.url.query
        return self.public_base_url + request.url.path + (f"?{query}" if query else "")

    async def _verified(self, request: Request) -> dict[str, str] | None:
        """The form's parameters if the request is signed, else None."""
        try:
            pairs = await read_form_pairs(request)
        except BadInput:
            return None
        if not signed(self.token, self._signed_url(request), pairs,
                      request.headers.get("x-twilio-signature", "")):
            return None
        return dict(pairs)

    def _call_id(self, request: Request) -> int | None:
        text = request.query_params.get("call_id", "")
        return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None

    async def incoming(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        dialled = calls.to_number(form.get("To", ""))
        call_sid = form.get("CallSid", "").strip()[:64]
        if dialled is None or not call_sid:
            return twiml(verb("Reject"))
        caller = calls.Caller(call_sid, dialled, calls.caller_number(form.get("From", "")),
                              form.get("CallerName", ""), form.get("FromCity", ""), form.get("FromState", ""),
                              form.get("FromZip", ""), form.get("FromCountry", ""))
        with self.services.transaction() as db:
            call = calls.start(db, caller, self.services.clock.now())
        if call is None:
            return twiml(verb("Reject"))
        return decision(self._base(request), call)

    async def dial_result(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        call_id, step_text = self._call_id(request), request.query_params.get("step", "")
        if call_id is None or not re.fullmatch(r"[0-9]{1,3}", step_text):
            return twiml(verb("Hangup"))
        with self.services.transaction() as db:
            call = calls.find_by_id(db, call_id)
            if call is None or call.call_sid != form.get("CallSid", call.call_sid):
                return twiml(verb("Hangup"))
            then = calls.dial_result(db, call, int(step_text), form.get("DialCallStatus", "failed").strip().lower())
            if then.action == "dial":
                call = calls.find_by_id(db, call_id)
        if then.action == "dial" and call is not None:
            return dial(self._base(request), call, then.step, greet=False)
        if then.action == "sorry":
            return twiml(verb("Say", SORRY_MESSAGE), verb("Hangup"))
        return twiml(verb("Hangup"))

    async def status(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        duration_text = form.get("CallDuration", "0").strip()
        duration = int(duration_text) if re.fullmatch(r"[0-9]{1,7}", duration_text) else 0
        with self.services.transaction() as db:
            calls.finish(db, form.get("CallSid", "").strip(), form.get("CallStatus", "").strip().lower(), duration,
                         self.prices, self.services.clock.now())
        return Response(status_code=204)

    async def recording(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        call_id, url = self._call_id(request), form.get("RecordingUrl", "").strip()
        if call_id is not None and url.startswith(("https://", "http://")):
            with self.services.transaction() as db:
                calls.set_recording(db, call_id, url + ".mp3")
        return Response(status_code=204)

    async def whisper(self, request: Request) -> Response:
        form = await self._verified(request) if request.method == "POST" else self._verified_get(request)
        if form is None:
            return forbidden()
        call_id = self._call_id(request)
        with self.services.transaction() as db:
            call = None if call_id is None else calls.find_by_id(db, call_id)
        return twiml(verb("Say", call.whisper)) if call is not None and call.whisper else twiml()

    def _verified_get(self, request: Request) -> dict[str, str] | None:
        if not signed(self.token, self._signed_url(request), [], request.headers.get("x-twilio-signature", "")):
            return None
        return {}

    async def ingest(self, request: Request) -> Response:
        given = request.headers.get("authorization", "")
        if not self.ingest_token or not _equal(given, f"Bearer {self.ingest_token}"):
            return JSONResponse({"error": "bad_token"}, status_code=401)
        try:
            body = await read_json(request)
            caller, outcome, start = self._ingested(body)
        except (BadInput, ValueError, AvidTrakError):
            return JSONResponse({"error": "invalid_body"}, status_code=422)
        try:
            with self.services.transaction() as db:
                created, answer = calls.ingest(db, caller, prices=self.prices, now=start, **outcome)
        except calls.IngestError as refused:
            return JSONResponse({"error": refused.error}, status_code=refused.status)
        return JSONResponse(answer, status_code=201 if created else 200)

    def _ingested(self, body: Any) -> tuple[calls.Caller, dict, datetime]:
        """The ingest's JSON body, checked: ValueError / AvidTrakError for anything wrong."""
        if not isinstance(body, dict):
            raise ValueError("not an object")

        def text(name: str, limit: int = 100) -> str:
            value = body.get(name, "")
            if not isinstance(value, str) or len(value) > limit or values.CONTROL_RE.search(value):
                raise ValueError(name)
            return value.strip()

        def count(name: str, default: int | None) -> int | None:
            value = body.get(name, default)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**7:
                raise ValueError(name)
            return value

        call_sid = text("call_sid", 64)
        if not call_sid:
            raise ValueError("call_sid")
        status = text("status", 16).lower() or None
        if status is not None and status not in calls.FINAL_STATUSES:
            raise ValueError("status")
        answer_at = count("answer_at", None)
        if answer_at is None and status is None:
            answer_at = 0
        forwarded_to = values.optional_phone(text("forwarded_to", 32), "forwarded_to")
        recording_url = text("recording_url", 1000)
        if recording_url and not recording_url.startswith(("https://", "http://")):
            raise ValueError("recording_url")
        start = self.services.clock.now()
        if self.sandbox_clock and body.get("start"):
            start = datetime.strptime(text("start", 19), "%Y-%m-%d %H:%M:%S")
        caller = calls.Caller(call_sid, values.phone(text("to", 32), "to"), calls.caller_number(text("from", 32)),
                              text("caller_name"), text("caller_city"), text("caller_state"), text("caller_zip", 20),
                              text("caller_country", 8))
        duration = count("duration", 0) or 0
        return caller, {"answer_at": answer_at, "status": status, "forwarded_to": forwarded_to,
                        "duration": duration, "recording_url": recording_url}, start


def _equal(given: str, expected: str) -> bool:
    """Constant-time comparison of header values (which may hold any latin-1 text)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def forbidden() -> Response:
    return Response("Forbidden", status_code=403, media_type="text/plain")


def routes(services: Services, signing_token: str, prices: Prices) -> list[Route]:
    hooks = Webhooks(services, signing_token, prices)
    endpoints: list[tuple[str, Callable, list[str]]] = [
        ("/voice/incoming", hooks.incoming, ["POST"]),
        ("/voice/dial-result", hooks.dial_result, ["POST"]),
        ("/voice/status", hooks.status, ["POST"]),
        ("/voice/recording", hooks.recording, ["POST"]),
        ("/voice/whisper", hooks.whisper, ["GET", "POST"]),
        ("/ingest/call", hooks.ingest, ["POST"]),
    ]
    return [Route(path, endpoint, methods=methods) for path, endpoint, methods in endpoints]
