"""The browser the page tests use is real: Debian's Chromium runs a page's scripts, and the
Webtrekk Smart Pixel from npm loads into it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser import smart_pixel_source

PAGE = b"""<!doctype html><title>t</title><p id="out">static</p>
<script src="/pixel.js"></script>
<script>document.getElementById("out").textContent = typeof wtSmart === "object" ? "pixel loaded" : "no pixel";</script>"""


@pytest.fixture
def site():
    pixel = smart_pixel_source().encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body, kind = (pixel, "text/javascript") if self.path == "/pixel.js" else (PAGE, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_chromium_runs_the_pages_scripts_with_the_smart_pixel(browser, site):
    page = browser.new_page()
    try:
        page.goto(site + "/")
        assert page.text_content("#out") == "pixel loaded"
    finally:
        page.close()
