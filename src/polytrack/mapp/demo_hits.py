"""A deterministic month of a small online shop's traffic, as pixel hits: the 30 days before
today and today up to now, some 220 visits a day with daily and weekly rhythm, returning and
logged-in visitors, search engines, referrers and campaigns, content groups, clicks, orders and
a few bots. The same clock day always gives the same hits."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterator
from urllib.parse import quote

AGENTS = (  # (user agent, weight)
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", 20),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 22),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", 10),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 6),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 7),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 5),
)
BOTS = ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")
LANGUAGES = (("de-DE", 55), ("de-AT", 10), ("de-CH", 6), ("en-GB", 10), ("en-US", 10), ("fr-FR", 5), ("nl-NL", 4))
CATEGORIES = {"shoes": ("runner-x", "trail-pro", "city-walk"), "shirts": ("basic-tee", "linen-shirt", "polo-classic"),
              "sale": ("summer-sandal", "rain-jacket")}
PRICES = {"runner-x": "89.90", "trail-pro": "129.00", "city-walk": "74.50", "basic-tee": "19.99", "linen-shirt": "49.00",
          "polo-classic": "39.95", "summer-sandal": "29.90", "rain-jacket": "99.00"}
ARTICLES = ("blog.article.summer-trends", "blog.article.care-guide", "blog.article.sizes")
PHRASES = ("running shoes", "laufschuhe damen", "leinenhemd", "shop sale", "trail pro test", "polo shirt herren")
REFERRERS = ("https://www.instagram.com/", "https://news.example.org/style/2024", "https://forum.laufen.example/thread/42")
CAMPAIGNS = ("newsletter.weekly", "google.ads.shoes", "facebook.summer", "partner.blog")
# visits per hour of day (share of the day's visits, roughly a shop's curve)
HOURS = (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 8, 7, 7, 7, 7, 7, 8, 9, 9, 8, 5, 3)
BASE_VISITS_PER_DAY = 220


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


class Shop:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.visitors: list[tuple[str, str, str, str]] = []  # eid, agent, language, customer id

    def visitor(self) -> tuple[str, str, str, str]:
        rng = self.rng
        if self.visitors and rng.random() < 0.35:
            return rng.choice(self.visitors)
        customer = f"C{rng.randrange(10_000, 99_999)}" if rng.random() < 0.12 else ""
        found = (f"{rng.getrandbits(62):019d}", _pick(rng, AGENTS), _pick(rng, LANGUAGES), customer)
        self.visitors.append(found)
        return found

    def pages(self) -> list[tuple[str, dict]]:
        """One visit's page impressions: (page name, extra parameters)."""
        rng = self.rng
        category = rng.choice(list(CATEGORIES))
        start = rng.random()
        if start < 0.5:
            path = [("home", {"cg1": "Shop"})]
        elif start < 0.8:
            path = [(f"category.{category}", {"cg1": "Shop", "cg2": category})]
        elif start < 0.9:
            path = [(rng.choice(ARTICLES), {"cg1": "Blog"})]
        else:
            path = [("Über uns", {"cg1": "Service"})]
        basket: list[str] = []
        while rng.random() < 0.68 and len(path) < 14:
            last = path[-1][0]
            if last == "basket" and basket and rng.random() < 0.5:
                path.append(("checkout", {"cg1": "Checkout"}))
                products = list(dict.fromkeys(basket))
                path.append(("order.thanks", {"cg1": "Checkout", "st": "conf", "ba": ";".join(products),
                                              "co": ";".join(PRICES[p] for p in products),
                                              "qn": ";".join("1" for _ in products),
                                              "oi": f"O{rng.getrandbits(40)}", "cb761": rng.choice(("paypal", "invoice", "card"))}))
                break
            roll = rng.random()
            if roll < 0.35:
                category = rng.choice(list(CATEGORIES))
                path.append((f"category.{category}", {"cg1": "Shop", "cg2": category}))
            elif roll < 0.75:
                product = rng.choice(CATEGORIES[category])
                path.append((f"product.{category}.{product}", {"cg1": "Shop", "cg2": category, "cp1": "product"}))
                if rng.random() < 0.25:
                    basket.append(product)
                    path.append((f"product.{category}.{product}", {"ct": "add-to-basket", "ba": product, "st": "add"}))
            elif roll < 0.85 and basket:
                path.append(("basket", {"cg1": "Checkout"}))
            elif roll < 0.93:
                path.append(("search", {"cg1": "Shop", "is": rng.choice(PHRASES)}))
            else:
                path.append((rng.choice(ARTICLES), {"cg1": "Blog"}))
        return path


def _line(at_ms: int, page: str, params: dict, agent: str) -> str:
    p = f"600,{quote(page, safe='')},1,1920x1080,24,1,{at_ms},{quote(params.pop('referrer', '0'), safe='')},1280x720,0"
    query = "p=" + p + "".join(f"&{name}={quote(str(value), safe='')}" for name, value in params.items())
    return f"{at_ms}\t{query}\t{agent}"


def hit_log(now: datetime, zone: tzinfo) -> Iterator[str]:
    """Log lines (`ms<TAB>query<TAB>agent`, what `polytrack mapp import` reads) for the 30 days
    before `now`'s day in `zone` and that day up to `now`."""
    today = now.astimezone(zone).date()
    rng = random.Random(f"polytrack-demo-{today.isoformat()}")
    shop = Shop(rng)
    now_ms = int(now.timestamp() * 1000)
    lines = []
    for offset in range(30, -1, -1):
        day = today - timedelta(days=offset)
        weekly = 0.75 if day.weekday() >= 5 else 1.0
        visits = int(BASE_VISITS_PER_DAY * weekly * (0.9 + 0.2 * rng.random()) * (1 + (30 - offset) / 150))
        lines.extend(_day(rng, shop, day, visits, zone))
    lines.sort(key=lambda line: int(line.split("\t", 1)[0]))
    return (line for line in lines if int(line.split("\t", 1)[0]) <= now_ms)


def _day(rng: random.Random, shop: Shop, day: date, visits: int, zone: tzinfo) -> list[str]:
    lines = []
    midnight = datetime.combine(day, time(), zone)
    for _ in range(visits):
        hour = rng.choices(range(24), HOURS)[0]
        at_ms = int((midnight + timedelta(hours=hour, seconds=rng.randrange(3600))).timestamp() * 1000)
        if rng.random() < 0.02:  # a crawler
            agent = rng.choice(BOTS)
            for page in rng.sample(["home", "category.shoes", "category.sale", "Über uns"], 2):
                lines.append(_line(at_ms, page, {"eid": f"bot{rng.getrandbits(30)}"}, agent))
                at_ms += 2000
            continue
        eid, agent, language, customer = shop.visitor()
        first: dict = {}
        source = rng.random()
        if source < 0.2:
            first["mc"] = rng.choice(CAMPAIGNS)
        elif source < 0.5:
            first["referrer"] = f"https://www.google.de/search?q={quote(rng.choice(PHRASES))}"
        elif source < 0.6:
            first["referrer"] = rng.choice(REFERRERS)
        for position, (page, params) in enumerate(shop.pages()):
            params = {**(first if position == 0 else {}), **params, "eid": eid, "la": language,
                      "cs800": "logged in" if customer else "anonymous"}
            if customer:
                params["cd"] = customer
            lines.append(_line(at_ms, page, params, agent))
            at_ms += int(rng.lognormvariate(3.6, 0.9) * 1000) + 2000
    return lines
