"""Browser, operating system, device and bot from a user agent, by ua-parser (the Browserscope
rules, kept up to date upstream). User agents repeat a lot, so answers are memoised."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import ua_parser

# Clients ua-parser does not call spiders but no person uses to browse.
_TOOLS = re.compile(r"curl/|wget/|python-requests|python-urllib|go-http-client|java/|okhttp|libwww-perl|"
                    r"httpclient|scrapy|phantomjs|facebookexternalhit|bot\b|crawler|spider", re.IGNORECASE)
_TABLETS = re.compile(r"ipad|tablet|kindle|silk|playbook|sm-t\d", re.IGNORECASE)
_MOBILE = re.compile(r"mobile|iphone|ipod|android|windows phone", re.IGNORECASE)
MAX_LENGTH = 64  # the columns' width


class Agent(NamedTuple):
    browser: str
    os: str
    device: str  # Desktop | Smartphone | Tablet | Bot | Unknown
    bot: bool


UNKNOWN = Agent("", "", "Unknown", False)


@lru_cache(maxsize=4096)
def classify(user_agent: str) -> Agent:
    if not user_agent:
        return UNKNOWN
    parsed = ua_parser.parse(user_agent[:2048])
    device = parsed.device.family if parsed.device else ""
    bot = device == "Spider" or _TOOLS.search(user_agent) is not None
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    os = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if bot:
        kind = "Bot"
    elif _TABLETS.search(user_agent):
        kind = "Tablet"
    elif _MOBILE.search(user_agent):
        kind = "Smartphone"
    elif os:
        kind = "Desktop"
    else:
        kind = "Unknown"
    return Agent(browser[:MAX_LENGTH], os[:MAX_LENGTH], kind, bot)
