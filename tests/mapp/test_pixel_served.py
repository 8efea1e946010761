"""The pixel of a real `polytrack serve` process: the Webtrekk Smart Pixel (npm) in Chromium
counts two page views of one visit, and a hit that was answered survives a killed server."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from polytrack.mapp.client import MappClient
from tests.browser import smart_pixel_source, website
from tests.mapp.helpers import SHOP, p, stored
from tests.serving import Server

pytestmark = pytest.mark.usefixtures("world")

# The Smart Pixel always sends to https://<trackDomain>/<trackId>/wt; the browser context hands
# those requests to the served polytrack over plain HTTP.
TRACK_DOMAIN = "track.polytrack.test"
PAGE = """<!doctype html><title>{name}</title><script src="/pixel.js"></script>
<script>
wtSmart.init.set({{trackId: "{track_id}", trackDomain: "{domain}"}});
wtSmart.page.data.set({{name: "{name}"}});
wtSmart.track();
</script><a id="next" href="/two.html">next</a>"""


@pytest.fixture
def site():
    pages = {f"/{name}.html": PAGE.format(name=name, track_id=SHOP, domain=TRACK_DOMAIN).encode() for name in ("one", "two")}
    with website({"/pixel.js": smart_pixel_source().encode(), **pages}) as url:
        yield url


def test_the_smart_pixel_in_chromium_counts_two_page_impressions_of_one_visit(browser, site, database_url, tmp_path):
    with Server("--db", database_url, "--osmand-port", "0", cwd=tmp_path) as server:
        context = browser.new_context()
        sent = []

        def forward(route):
            sent.append(route.request.url)
            response = route.fetch(url=route.request.url.replace(f"https://{TRACK_DOMAIN}", server.url))
            route.fulfill(response=response)

        try:
            context.route(f"https://{TRACK_DOMAIN}/**", forward)
            page = context.new_page()
            page.goto(site + "/one.html")
            page.click("#next")
            page.wait_for_url("**/two.html")
            client = MappClient(server.url + "/cgi-bin/wt/JSONRPC.cgi")
            client.login(SHOP, "alice", "alice-pass")
            deadline = time.monotonic() + 20
            while True:
                result = client.analysis(analysisObjects=[{"title": "Pages"}],
                                         metrics=[{"title": "Page Impressions"}, {"title": "Visits"}])
                if result["analysisTabFoot"][0][1] == "2" or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert sorted(result["analysisData"][:-1]) == [["one", "1", "1"], ["two", "1", "1"]], sent
            days = client.analysis(analysisObjects=[{"title": "Months"}], metrics=[{"title": "Page Impressions"}, {"title": "Visits"}],
                                   hideFooters=1, forceRawData=1)
            assert days["analysisData"][-1][1:] == ["2", "1"]
            assert all(url.startswith(f"https://{TRACK_DOMAIN}/{SHOP}/") for url in sent)
        finally:
            context.close()


def test_an_answered_hit_survives_a_killed_server(services, database_url, tmp_path):
    server = Server("--db", database_url, "--osmand-port", "0", cwd=tmp_path).wait_ready()
    try:
        now_ms = int(time.time() * 1000)
        for k in range(5):
            response = httpx.get(f"{server.url}/{SHOP}/wt?p={p(f'page {k}', now_ms)}&eid=kill")
            assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    finally:  # the server and its worker, killed at once, with no chance to tidy up
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    assert len(stored(services, "SELECT id FROM mapp_hits WHERE visitor = 'kill'")) == 5
