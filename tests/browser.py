"""Headless Chromium for tests that need a real browser: Debian's package, driven by Playwright.

`make test` installs both (the Debian package `chromium` and the `playwright` Python package;
Playwright downloads no browser of its own here). A missing browser fails the test that asks
for one: it never skips.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

# Browser libraries from npm (tests/js/package.json), loaded into test pages as they are shipped.
NODE_MODULES = Path(__file__).resolve().parent / "js" / "node_modules"
SMART_PIXEL = NODE_MODULES / "@webtrekk-smart-pixel" / "core" / "dist" / "smart-pixel.min.js"

# As root (CI) Chromium needs --no-sandbox; the closed network refuses Chromium's own background
# connections, so those are switched off rather than left to time out.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    found = shutil.which("chromium")
    assert found, "Chromium is not installed: `make test` installs it (Debian package chromium)"
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on the way out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def smart_pixel_source() -> str:
    """The Webtrekk Smart Pixel as npm ships it, for a test page to serve."""
    assert SMART_PIXEL.is_file(), f"{SMART_PIXEL} is missing: `make test` installs it (npm ci in tests/js)"
    return SMART_PIXEL.read_text()


@contextmanager
def website(pages: dict[str, bytes]) -> Iterator[str]:
    """A website on an origin of its own (not polytrack's), for a page that loads a tracking
    script; yields its base URL. `pages`: path (without the query) -> body, read at each request
    so a test may fill it later; "*" answers any other path. `.js` paths are served as scripts."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            body = pages.get(path, pages.get("*"))
            self.send_response(404 if body is None else 200)
            self.send_header("Content-Type", "text/javascript" if path.endswith(".js") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
