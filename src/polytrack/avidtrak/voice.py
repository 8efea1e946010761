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
from datetime import datetime
from functools import partial
from typing import Any, Callable
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from polytrack.avidtrak import calls, values
from polytrack.avidtrak.billing import Prices
from polytrack.avidtrak.errors import AvidTrakError
from polytrack.kernel.groupcommit import GroupCommit
from polytrack.kernel.hot import CollectedDB
from polytrack.kernel.params import BadInput, read_body, read_json
from polytrack.kernel.sql import Db
from polytrack.services import Services

log = logging.getLogger("polytrack.avidtrak")

TWIML_TYPE = "text/xml; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
SUSPENDED_MESSAGE = "This number is temporarily unavailable."
NOT_CONFIGURED_MESSAGE = "This number is not configured to receive calls."
SORRY_MESSAGE = "Sorry, no one is available to take your call."


# --- Twilio's signature ------------------------------------------------------------------------

def signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature of a request: what twilio.request_validator computes (names sorted,
    each name's distinct values sorted: the distinct pairs, sorted)."""
    text = url + "".join([name + value for name, value in sorted(set(params))])
    return base64.b64encode(hmac.digest(token.encode(), text.encode(), hashlib.sha1)).decode()


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """A form-encoded body's fields, as urllib's parse_qsl(keep_blank_values=True) reads them,
    at a sixth of its cost (only escaped names and values are unquoted). UnicodeDecodeError for
    a body that is not UTF-8."""
    pairs = []
    for field in body.decode("utf-8").split("&"):
        if field:
            name, _, value = field.partition("=")
            if "%" in name or "+" in name:
                name = unquote_plus(name)
            if "+" in value:
                value = value.replace("+", " ")
            if "%" in value:
                # E.164 numbers (From, To, Called ...): their "+" is the only escape most values hold
                value = "+" + value[3:] if value.startswith("%2B") and "%" not in value[3:] else unquote(value)
            pairs.append((name, value))
    return pairs


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
    if _equal(signature(token, url, params), given):  # the usual case: one HMAC
        return True
    return any(_equal(signature(token, candidate, params), given) for candidate in _port_variants(url)[1:])


# --- TwiML ------------------------------------------------------------------------------------
# Fixed templates with escaped values: a handful of verbs, so no XML library on the hot path
# (ElementTree cost more than the rest of the routing decision). Tests parse every shape.

# Characters XML 1.0 does not allow, even escaped (a caller ID is whatever the carrier sent).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Whitespace as character references: a parser keeps those as they are in attribute values
# (and a carriage return in text), where it would normalise them.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;",
                          "\r": "&#13;"})
_TWIML_START = b'<?xml version="1.0" encoding="UTF-8"?><Response>'


def xml_text(value: str) -> str:
    """`value` as XML character data or a double-quoted attribute value."""
    return _NOT_XML.sub("", value).translate(_ESCAPES)


def twiml(*verbs: str) -> Response:
    return Response(_TWIML_START + "".join(verbs).encode() + b"</Response>", media_type=TWIML_TYPE)


def say(text: str) -> str:
    return f"<Say>{xml_text(text)}</Say>"


HANGUP, REJECT = "<Hangup/>", "<Reject/>"


def e164(number: str) -> str:
    return "+1" + number if len(number) == 10 and number.isdigit() else number


def dial(base: str, call: calls.Call, step: int, *, greet: bool) -> Response:
    """<Dial> of candidate `step` (1-based), its result posted to /voice/dial-result."""
    candidate = call.plan[step - 1]
    number_attributes = ""
    if call.whisper:
        number_attributes += f' url="{xml_text(base)}/voice/whisper?call_id={call.id}"'
    if candidate.extension:
        number_attributes += f' sendDigits="ww{xml_text(candidate.extension)}"'
    recording = ""
    if call.recording:
        recording = (f' record="record-from-answer-dual" '
                     f'recordingStatusCallback="{xml_text(base)}/voice/recording?call_id={call.id}"')
    dialled = (f'<Dial action="{xml_text(base)}/voice/dial-result?step={step}" method="POST" '
               f'timeout="{calls.timeout(call)}" callerId="{xml_text(e164(call.caller_number))}"{recording}>'
               f'<Number{number_attributes}>{xml_text(e164(candidate.number))}</Number></Dial>')
    return twiml(say(call.greeting) if greet and call.greeting else "", dialled)


def decision(base: str, call: calls.Call) -> Response:
    """The answer to /voice/incoming for a stored call (also when the webhook is retried)."""
    if call.status == "suspended":
        return twiml(say(SUSPENDED_MESSAGE), HANGUP)
    if call.status == "no-forwarding":
        return twiml(say(call.greeting) if call.greeting else "", say(NOT_CONFIGURED_MESSAGE), HANGUP)
    if call.status == "in-progress":
        return dial(base, call, call.step, greet=call.step == 1)
    return twiml(HANGUP)


# --- storing: group commit on a held connection ------------------------------------------------


class CollectedStore:
    """The collected data of every webhook and page load (the swap endpoint, site_script.py),
    stored by group commit (kernel.groupcommit): each request submits one step, a function of
    the transaction's `Db` (calls.start, calls.finish, dni.page_load ...); the steps of
    concurrent requests run in one transaction on the held connection, and each request is
    answered with its step's result once that transaction has committed. One per app, shared by
    the webhooks and the swap endpoint: calls and visits go into the same transactions."""

    def __init__(self, services: Services):
        # What the webhooks and the swap endpoint write is collected data (calls, the rotation
        # pointer, talk-time charges, visits, numbers shown), so the routing cache, which follows
        # the main marker, stays warm under call traffic; the pincode cache, which holds payer
        # balances, follows collected data too (wire.py).
        self.db = CollectedDB(services.engine)
        self.routes = services.read_cache()  # tracking number -> calls.Routing
        self.driver_errors = services.engine.dialect.loaded_dbapi
        self.group_commit = GroupCommit(self._store, self._store)

    def route_of(self, db: Db, number: str) -> calls.Routing | None:
        return self.routes.get_or_load(number, lambda: calls.load_routing(db, number))

    def _store(self, steps: list[Callable[[Db], Any]]) -> list[Any]:
        try:
            with self.db.transaction():
                return [step(self.db) for step in steps]
        except self.driver_errors.IntegrityError:
            raise  # e.g. one CallSid delivered to two workers at once: stored again alone, it is found
        except self.driver_errors.Error:
            self.db.close()  # maybe broken; the next transaction opens another connection
            raise

    async def run(self, step: Callable[[Db], Any]) -> Any:
        return (await self.group_commit.submit([step]))[0]


# --- the endpoints ----------------------------------------------------------------------------

class Webhooks:
    """The voice webhooks and the ingest of one app; settings read once."""

    def __init__(self, services: Services, store: CollectedStore, signing_token: str, prices: Prices):
        knob = services.settings.api_setting
        self.services = services
        self.store = store
        self.token = signing_token
        self.public_base_url = knob("avidtrak.public_base_url", "").rstrip("/")
        self.ingest_token = knob("avidtrak.ingest_token", "")
        self.sandbox_clock = knob("avidtrak.sandbox_clock", False)
        self.prices = prices
        self._origins: dict[tuple, str] = {}  # (scheme, Host header, server) -> scheme://host

    def _base(self, request: Request) -> str:
        """scheme://host the request was sent to (or the configured public base URL)."""
        if self.public_base_url:
            return self.public_base_url
        key = (request.scope.get("scheme"), request.headers.get("host"), tuple(request.scope.get("server") or ()))
        base = self._origins.get(key)
        if base is None:  # as Starlette reads it from the request, once per host
            if len(self._origins) > 100:
                self._origins.clear()
            base = self._origins[key] = f"{request.url.scheme}://{request.url.netloc}"
        return base

    def _signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the one the request was sent to (our paths are fixed ones,
        nothing in them to escape)."""
        query = request.scope["query_string"]
        return self._base(request) + request.scope["path"] + ("?" + query.decode("latin-1") if query else "")

    async def _verified(self, request: Request) -> dict[str, str] | None:
        """The form's parameters if the request is signed, else None."""
        try:
            if request.headers.get("content-type", "").partition(";")[0].strip().lower() != FORM_TYPE:
                pairs = []
            else:
                pairs = form_pairs(await read_body(request))
        except (BadInput, UnicodeDecodeError):
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
            return twiml(REJECT)
        caller = calls.Caller(call_sid, dialled, calls.caller_number(form.get("From", "")),
                              form.get("CallerName", ""), form.get("FromCity", ""), form.get("FromState", ""),
                              form.get("FromZip", ""), form.get("FromCountry", ""))
        call = await self.store.run(partial(calls.start, caller=caller, now=self.services.clock.now(),
                                            route_of=self.store.route_of))
        if call is None:
            return twiml(REJECT)
        return decision(self._base(request), call)

    async def dial_result(self, request: Request) -> Response:
        """<Dial>'s action: the call is the one of the request's CallSid (Twilio sends the parent
        call's); `step` says which candidate's result this is."""
        form = await self._verified(request)
        if form is None:
            return forbidden()
        step_text, call_sid = request.query_params.get("step", ""), form.get("CallSid", "").strip()
        if not call_sid or not re.fullmatch(r"[0-9]{1,3}", step_text):
            return twiml(HANGUP)
        dial_status = form.get("DialCallStatus", "failed").strip().lower()
        outcome = await self.store.run(partial(calls.dial_result_of, call_sid=call_sid, step=int(step_text),
                                               dial_status=dial_status, route_of=self.store.route_of))
        if outcome is None:
            return twiml(HANGUP)
        then, call = outcome
        if then.action == "dial":
            return dial(self._base(request), call, then.step, greet=False)
        if then.action == "sorry":
            return twiml(say(SORRY_MESSAGE), HANGUP)
        return twiml(HANGUP)

    async def status(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        duration_text = form.get("CallDuration", "0").strip()
        duration = int(duration_text) if re.fullmatch(r"[0-9]{1,7}", duration_text) else 0
        await self.store.run(partial(calls.finish, call_sid=form.get("CallSid", "").strip(),
                                     call_status=form.get("CallStatus", "").strip().lower(), duration=duration,
                                     prices=self.prices, now=self.services.clock.now()))
        return Response(status_code=204)

    async def recording(self, request: Request) -> Response:
        form = await self._verified(request)
        if form is None:
            return forbidden()
        call_id, url = self._call_id(request), form.get("RecordingUrl", "").strip()
        if call_id is not None and url.startswith(("https://", "http://")):
            await self.store.run(partial(calls.set_recording, call_id=call_id, recording_url=url + ".mp3"))
        return Response(status_code=204)

    async def whisper(self, request: Request) -> Response:
        form = await self._verified(request) if request.method == "POST" else self._verified_get(request)
        if form is None:
            return forbidden()
        call_id = self._call_id(request)
        # a read on the held connection, outside any transaction (autocommit)
        call = None if call_id is None else calls.find_by_id(self.store.db, call_id, self.store.route_of)
        return twiml(say(call.whisper)) if call is not None and call.whisper else twiml()

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
            created, answer = await self.store.run(partial(calls.ingest, caller=caller, prices=self.prices, now=start,
                                                           route_of=self.store.route_of, **outcome))
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


def routes(services: Services, store: CollectedStore, signing_token: str, prices: Prices) -> list[Route]:
    hooks = Webhooks(services, store, signing_token, prices)
    endpoints: list[tuple[str, Callable, list[str]]] = [
        ("/voice/incoming", hooks.incoming, ["POST"]),
        ("/voice/dial-result", hooks.dial_result, ["POST"]),
        ("/voice/status", hooks.status, ["POST"]),
        ("/voice/recording", hooks.recording, ["POST"]),
        ("/voice/whisper", hooks.whisper, ["GET", "POST"]),
        ("/ingest/call", hooks.ingest, ["POST"]),
    ]
    return [Route(path, endpoint, methods=methods) for path, endpoint, methods in endpoints]
