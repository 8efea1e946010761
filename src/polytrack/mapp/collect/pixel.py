"""Reading one tracking-pixel hit: the query string of `GET /<trackId>/wt?p=...` (or one line of
a batch) into a `Hit`. Pure functions, no database: whatever a hit says is read here once, and
anything that depends on the visitor's other hits is left to visits.py.

The `p` parameter is `<version>,<content id>,<js>,<screen>,<depth>,<cookies>,<client ms>,
<referrer>,<viewport>,<java>`; the content id (the page name) may itself hold commas, so the raw,
still percent-encoded value is split on commas, the first field is the version, the last eight
are the fixed fields and everything between is the page name (Webtrekk's own Android web-view
bridge reads it the same way). Each field is decoded after splitting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Sequence
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from polytrack.mapp.collect.agents import classify

GAP_MS = 30 * 60 * 1000
# A client clock is trusted within this window around the time the hit arrived: a hit may be
# sent up to a day late (apps queue hits offline) and a clock may run a little fast.
CLIENT_TIME_EARLIEST_MS = 24 * 3600 * 1000
CLIENT_TIME_LATEST_MS = 5 * 60 * 1000
MAX_QUERY_CHARS = 64 * 1024   # longer hits are rejected as malformed
MAX_VALUE_CHARS = 1000        # longer values are cut (indexes and reports stay sane)
MAX_CENTS = 10 ** 15          # order values beyond ten trillion are not read
MAX_QUANTITY = 1_000_000

# Custom parameters kept per hit: content groups and the page, session, action, e-commerce,
# product category, campaign, user category and media category parameters, plus `is`.
_CUSTOM_PARAMETER = re.compile(r"^(?:cg|cp|cs|ck|cb|ca|cc|uc|mg)\d{1,5}$|^is$")
_CUSTOM_INITIALS = frozenset("cumi")
_SEARCH_ENGINES = re.compile(r"(?:^|\.)(?:google|bing|yahoo|duckduckgo|ecosia|qwant|yandex|baidu|startpage|"
                             r"ask|aol|search\.brave|t-online|web|gmx)\.[a-z.]+$")
_SEARCH_PARAMETERS = ("q", "p", "query", "text", "wd")


class Malformed(ValueError):
    """A hit that cannot be stored; `reason` is what the operator sees."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Hit:
    time_ms: int
    received_ms: int
    visitor: str
    kind: str            # page | action | media
    bot: bool
    new_session: bool
    page: str
    page_url: str
    referrer: str
    search_phrase: str
    campaign: str
    action: str
    customer: str
    browser: str
    os: str
    device: str
    country: str
    order_value_cents: int
    quantity: int
    is_order: bool
    query: str
    user_agent: str
    media: str = ""          # mi
    media_action: str = ""   # mk
    media_position: int = 0  # mt1, whole seconds
    params: list[tuple[str, str]] = field(default_factory=list)


def clean(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Decoded text as stored: no NUL (PostgreSQL text cannot hold one), at most `limit` characters."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:limit]


def decode(raw: str) -> str:
    if "%" in raw or "+" in raw or "\x00" in raw or len(raw) > MAX_VALUE_CHARS:
        return clean(unquote_plus(raw, errors="replace").strip())
    return raw.strip()  # most values: nothing to decode (a third of a hit's reading time otherwise)


def raw_pairs(query: str) -> list[tuple[str, str]]:
    """(lower-case decoded name, still encoded value) of each `name=value` of a query string."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="replace")
        pairs.append((name.strip().lower(), value))
    return pairs


def hit_time(client_ms: int | None, received_ms: int) -> int:
    """When the hit happened: the client's clock when it is plausible, else the arrival."""
    if client_ms is not None and received_ms - CLIENT_TIME_EARLIEST_MS <= client_ms <= received_ms + CLIENT_TIME_LATEST_MS:
        return client_ms
    return received_ms


def _millis(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 15 else None


def _cents(text: str) -> int:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return 0
    if not value.is_finite():
        return 0
    cents = int((value * 100).to_integral_value())
    return cents if abs(cents) < MAX_CENTS else 0


def _seconds(text: str) -> int:
    """A media position in whole seconds (`12`, `12.5`); anything else is 0."""
    try:
        value = float(text)
    except ValueError:
        return 0
    return int(value) if 0 <= value < 10 ** 9 else 0


def _quantity(text: str) -> int:
    text = text.strip()
    if text.isdigit() and len(text) < 8:
        return min(int(text), MAX_QUANTITY)
    return 0


def is_search_engine(host: str) -> bool:
    return _SEARCH_ENGINES.search(host) is not None


def _referrer_and_phrase(text: str) -> tuple[str, str]:
    """An http(s) referrer (anything else, `0`, `1` or empty, is none) and the search phrase a
    search engine put in it."""
    if not text.lower().startswith(("http://", "https://")):
        return "", ""
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "", ""
    phrase = ""
    if is_search_engine(host):
        found = dict(parse_qsl(parts.query, errors="replace"))
        phrase = next((found[name] for name in _SEARCH_PARAMETERS if found.get(name)), "")
    return text, clean(phrase.strip())


def _country(language: str) -> str:
    """The region of the browser language (`de-AT` -> `AT`); no geo-IP database is shipped."""
    _, _, region = language.replace("_", "-").partition("-")
    region = region[:2].upper()
    return region if region.isalpha() and len(region) == 2 else ""


def _visitor(values: dict[str, str], cookie_eid: str, ip: str, user_agent: str) -> str:
    """eid (parameter, then cookie), else the custom ever id, else a digest of address and agent."""
    for candidate in (values.get("eid", ""), cookie_eid, values.get("ceid", "")):
        candidate = clean(candidate.strip(), 255)
        if candidate:
            return candidate
    return "h:" + hashlib.sha256(f"{ip}|{user_agent}".encode("utf-8", "replace")).hexdigest()[:32]


def parse_hit(query: str, *, received_ms: int, user_agent: str = "", ip: str = "", cookie_eid: str = "",
              common: Sequence[tuple[str, str]] = ()) -> Hit:
    """One hit from its query string (`p=...&eid=...`). `common`: raw pairs a batch URL gives
    every line (a line's own values win). Raises `Malformed`."""
    if len(query) > MAX_QUERY_CHARS:
        raise Malformed("hit too long")
    # the first of repeated names wins; a line's own values win over the batch URL's
    raw: dict[str, str] = dict(reversed(common)) if common else {}
    raw.update(reversed(raw_pairs(query)))
    p = raw.get("p")
    if not p:
        raise Malformed("no p parameter")
    fields = p.split(",")
    if len(fields) >= 10:
        page_raw, fixed = ",".join(fields[1:-8]), fields[-8:]
    else:
        page_raw, fixed = ",".join(fields[1:]), []
    values = {name: decode(value) for name, value in raw.items() if name != "p"}

    agent_text = clean(values.get("x-wt-ua") or user_agent, 2048)
    agent = classify(agent_text)
    client_ms = _millis(values.get("mts", "")) or (_millis(decode(fixed[4])) if fixed else None)
    referrer, phrase = _referrer_and_phrase(decode(fixed[5]) if fixed else "")
    kind = "action" if values.get("ct") else "media" if (values.get("mi") or values.get("mk")) else "page"

    costs = [_cents(cost) for cost in values.get("co", "").split(";") if cost.strip()]
    quantities = [_quantity(q) for q in values.get("qn", "").split(";") if q.strip()]
    products = [product for product in values.get("ba", "").split(";") if product.strip()]
    is_order = values.get("st", "").lower() == "conf" or bool(values.get("oi")) or bool(values.get("ov"))
    if is_order:
        order_value = _cents(values["ov"]) if values.get("ov") else sum(costs)
        quantity = sum(quantities) if quantities else len(products)
    else:
        order_value = quantity = 0

    return Hit(
        time_ms=hit_time(client_ms, received_ms),
        received_ms=received_ms,
        visitor=_visitor(values, cookie_eid, values.get("x-wt-ip") or ip, agent_text),
        kind=kind,
        bot=agent.bot,
        new_session=values.get("fns", "") == "1",
        page=decode(page_raw),
        page_url=values.get("pu", ""),
        referrer=referrer,
        search_phrase=phrase,
        campaign=values.get("mc", ""),
        action=values.get("ct", ""),
        customer=values.get("cd", ""),
        browser=agent.browser,
        os=agent.os,
        device=agent.device,
        country=_country(values.get("la", "")),
        order_value_cents=max(min(order_value, MAX_CENTS), -MAX_CENTS),
        quantity=min(quantity, MAX_QUANTITY),
        is_order=is_order,
        query=clean(query, MAX_QUERY_CHARS),
        user_agent=agent_text,
        media=values.get("mi", "") if kind == "media" else "",
        media_action=values.get("mk", "").lower()[:16] if kind == "media" else "",
        media_position=_seconds(values.get("mt1", "")) if kind == "media" else 0,
        params=[(name, value) for name, value in values.items() if value and name[:1] in _CUSTOM_INITIALS
                and _CUSTOM_PARAMETER.match(name)],
    )
