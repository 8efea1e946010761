"""Dynamic number insertion in a real browser: headless Chromium loads a page with the vendor's
embed snippet, the script comes from a real `polytrack serve` process, and the site's number is
replaced on the page, in each written form and in tel: links."""

from __future__ import annotations

import pytest

from tests.avidtrak.conftest import client
from tests.avidtrak.test_numbers import buy
from tests.browser import website
from tests.serving import Server

pytestmark = pytest.mark.usefixtures("services")

PAGE = """<!doctype html><title>Joe's Plumbing</title>
<p id="call">Call us: (410) 555-7000</p>
<p id="dashes">or 410-555-7000, or +1 410.555.7000</p>
<p id="other">Fax: (410) 555-7999</p>
<a id="link" href="tel:+14105557000">Tap to call</a>
<script type="text/javascript">
var _atq = _atq || [];
(function(){
 var s=document.createElement('script');s.type='text/javascript';s.async=true;
 s.src='__SCRIPT__';
 var f=document.getElementsByTagName('script')[0];f.parentNode.insertBefore(s,f);
})();
</script>"""


def test_chromium_sees_the_number_replaced(http, agency, pro_client, browser, database_url, tmp_path):
    pin = pro_client["pincode"]
    buy(http, pin, "4435550100", "4435550101")
    client(http, pin).call("assign_number", sid=["4435550100"], type="gppc")
    client(http, pin).call("assign_number", sid=["4435550101"], type="direct")
    client(http, pin).call("set_smart_replacement", action="add", site_phone="4105557000")
    pages: dict[str, bytes] = {}
    with website(pages) as site, Server("--db", database_url, "--osmand-port", "0", cwd=tmp_path) as polytrack:
        pages["*"] = PAGE.replace("__SCRIPT__", f"{polytrack.url}/{pro_client['site_key']}/track.js").encode()
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(site + "/landing?gclid=EAIaIQ&utm_term=emergency+plumber")
            page.wait_for_function("document.getElementById('call').textContent.indexOf('555-7000') < 0",
                                   timeout=15000)
            assert page.text_content("#call") == "Call us: (443) 555-0100"
            assert page.text_content("#dashes") == "or 443-555-0100, or +1 443.555.0100"
            assert page.text_content("#other") == "Fax: (410) 555-7999"
            assert page.get_attribute("#link", "href") == "tel:+14435550100"
            answer = page.evaluate("window._atq.swapped")
            assert (answer["channel"], answer["keyword"]) == ("gppc", "emergency plumber")
            # the same visitor (the _atvid cookie) keeps the number on a direct page load later
            page.goto(site + "/contact")
            page.wait_for_function("window._atq.swapped !== undefined", timeout=15000)
            assert page.text_content("#call") == "Call us: (443) 555-0100"
        finally:
            context.close()
