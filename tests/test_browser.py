"""The browser the page tests use is real: Debian's Chromium runs a page's scripts, and the
Webtrekk Smart Pixel from npm loads into it."""

from __future__ import annotations

import pytest

from tests.browser import smart_pixel_source, website

PAGE = b"""<!doctype html><title>t</title><p id="out">static</p>
<script src="/pixel.js"></script>
<script>document.getElementById("out").textContent = typeof wtSmart === "object" ? "pixel loaded" : "no pixel";</script>"""


@pytest.fixture
def site():
    with website({"/pixel.js": smart_pixel_source().encode(), "/": PAGE}) as url:
        yield url


def test_chromium_runs_the_pages_scripts_with_the_smart_pixel(browser, site):
    page = browser.new_page()
    try:
        page.goto(site + "/")
        assert page.text_content("#out") == "pixel loaded"
    finally:
        page.close()
