"""Where tracking numbers come from: a number-inventory provider behind one small interface.

* `SandboxProvider` (the default) works offline: every area code (first digit 2-9, toll-free
  prefixes included) has the 100 fictional numbers NPA-555-0100 ... NPA-555-0199; SIDs are
  `PN` + md5("sandbox:" + E.164 number), so the same number always has the same SID.
* `TwilioProvider` speaks Twilio's REST API (AvailablePhoneNumbers to search,
  IncomingPhoneNumbers to buy and release), with the account SID and auth token as HTTP basic
  credentials.

The provider is chosen by the setting `avidtrak.provider` (`sandbox` | `twilio`) and built once
with the routes. Both sign their voice webhooks the way Twilio does, each with its own token
(`signing_token`), which the webhook endpoints check.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Container, NamedTuple, Protocol

import httpx

TOLL_FREE_PREFIXES = ("800", "833", "844", "855", "866", "877", "888")
NUMBER_TYPES = ("local", "toll")


class ProviderError(Exception):
    """The telephone company refused or could not be reached (answered `provider_error`)."""


class AvailableNumber(NamedTuple):
    number: str  # 10 digits
    friendly_name: str  # (410) 555-0100
    region: str
    rate_center: str
    country: str


class NumberProvider(Protocol):
    name: str
    signing_token: str  # the key of the X-Twilio-Signature its webhooks carry

    def search(self, number_type: str, area_code: str, country: str, quantity: int,
               unavailable: Container[str]) -> list[AvailableNumber]:
        """Up to `quantity` numbers for sale, lowest first, none of `unavailable`."""

    def sells(self, number: str) -> bool:
        """Whether the number can be in the inventory at all (checked before buying anything);
        a provider that cannot tell says True and refuses at purchase instead."""

    def purchase(self, number: str, country: str) -> str:
        """Buy the number; its SID (PN + 32 hex)."""

    def release(self, sid: str) -> None:
        """Give the number back to the telephone company for good."""


def friendly_name(number: str) -> str:
    return f"({number[:3]}) {number[3:6]}-{number[6:]}"


def sandbox_sid(number: str) -> str:
    return "PN" + hashlib.md5(f"sandbox:+1{number}".encode()).hexdigest()


class SandboxProvider:
    """Deterministic fictional inventory, for tests, demos and replaying Twilio-shaped traffic.
    `fail` (tests): numbers whose purchase or release the telephone company refuses."""

    name = "sandbox"

    def __init__(self, signing_token: str, fail: Callable[[str], bool] | None = None):
        self.signing_token = signing_token
        self.fail = fail or (lambda _number: False)

    def search(self, number_type: str, area_code: str, country: str, quantity: int,
               unavailable: Container[str]) -> list[AvailableNumber]:
        found = []
        for line in range(100, 200):
            number = f"{area_code}5550{line}"
            if number not in unavailable:
                found.append(AvailableNumber(number, friendly_name(number), "", "", country))
                if len(found) == quantity:
                    break
        return found

    def sells(self, number: str) -> bool:
        return number[0] in "23456789" and number[3:7] == "5550" and 100 <= int(number[7:]) <= 199

    def purchase(self, number: str, country: str) -> str:
        if self.fail(number) or not self.sells(number):
            raise ProviderError(f"sandbox: cannot sell {number}")
        return sandbox_sid(number)

    def release(self, sid: str) -> None:
        if self.fail(sid):
            raise ProviderError(f"sandbox: cannot release {sid}")


class TwilioProvider:
    """Twilio's REST API (2010-04-01). One Twilio account serves the whole server; moving numbers
    between agencies and clients is ours alone."""

    name = "twilio"
    API = "https://api.twilio.com/2010-04-01"

    def __init__(self, account_sid: str, auth_token: str, public_base_url: str, *,
                 http: httpx.Client | None = None):
        self.account_sid = account_sid
        self.signing_token = auth_token  # Twilio signs its webhooks with the account's auth token
        self.public_base_url = public_base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=15.0)
        self.auth = (account_sid, auth_token)

    def _url(self, path: str) -> str:
        return f"{self.API}/Accounts/{self.account_sid}/{path}"

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, self._url(path), auth=self.auth, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderError(f"twilio: {exc}") from exc
        if response.status_code >= 400:
            raise ProviderError(f"twilio: HTTP {response.status_code}: {response.text[:200]}")
        return response

    def search(self, number_type: str, area_code: str, country: str, quantity: int,
               unavailable: Container[str]) -> list[AvailableNumber]:
        kind = "TollFree" if number_type == "toll" else "Local"
        # numbers we have released are back in Twilio's pool: ask for enough to drop them
        page_size = min(quantity + 20, 1000)
        response = self._send("GET", f"AvailablePhoneNumbers/{country}/{kind}.json",
                              params={"AreaCode": area_code, "VoiceEnabled": "true", "PageSize": page_size})
        found = []
        for offer in response.json().get("available_phone_numbers", []):
            e164 = str(offer.get("phone_number", ""))
            if not (e164.startswith("+1") and len(e164) == 12):
                continue
            number = e164[2:]
            if number in unavailable:
                continue
            found.append(AvailableNumber(number, offer.get("friendly_name") or friendly_name(number),
                                         offer.get("region") or "", offer.get("rate_center") or "",
                                         offer.get("iso_country") or country))
        found.sort()
        return found[:quantity]

    def sells(self, number: str) -> bool:
        return True  # only a purchase tells

    def purchase(self, number: str, country: str) -> str:
        base = self.public_base_url
        response = self._send("POST", "IncomingPhoneNumbers.json", data={
            "PhoneNumber": f"+1{number}",
            "VoiceUrl": f"{base}/voice/incoming", "VoiceMethod": "POST",
            "StatusCallback": f"{base}/voice/status", "StatusCallbackMethod": "POST",
        })
        sid = str(response.json().get("sid", ""))
        if not (sid.startswith("PN") and len(sid) == 34):
            raise ProviderError(f"twilio: no phone-number SID in the answer for {number}")
        return sid

    def release(self, sid: str) -> None:
        self._send("DELETE", f"IncomingPhoneNumbers/{sid}.json")


# --- configuration --------------------------------------------------------------------------

def build(knob: Callable, sandbox_token: str) -> NumberProvider:
    """The provider the settings name (`knob` = settings.api_setting); raises ValueError for an
    unknown one or a Twilio provider without its credentials."""
    name = knob("avidtrak.provider", "sandbox")
    if name == "sandbox":
        return SandboxProvider(knob("avidtrak.sandbox_auth_token", "") or sandbox_token)
    if name == "twilio":
        account_sid, token = knob("avidtrak.twilio_account_sid", ""), knob("avidtrak.twilio_auth_token", "")
        base = knob("avidtrak.public_base_url", "")
        if not (account_sid and token and base):
            raise ValueError("avidtrak.provider = twilio needs avidtrak.twilio_account_sid, "
                             "avidtrak.twilio_auth_token and avidtrak.public_base_url")
        return TwilioProvider(account_sid, token, base)
    raise ValueError(f"avidtrak.provider must be sandbox or twilio, got {name!r}")
