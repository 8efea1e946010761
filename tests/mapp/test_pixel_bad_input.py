"""Nothing a browser sends makes the pixel answer anything but the GIF, and no such request
loses or changes the hits already stored."""

import asyncio

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.mapp.helpers import SHOP, hit, stored
from tests.rawasgi import raw_get

# Query text made of the pieces that break parsers: separators, percent signs with and without
# hex digits, plus signs, any unicode (lone surrogates excluded: no URL can carry them).
pieces = st.one_of(
    st.sampled_from(["p=", "&", "=", ",", "%", "%2C", "%C3", "%ZZ", "%00", "+", ";", "eid=", "ba=", "co=", "qn=",
                     "st=conf", "ov=", "mts=", "fns=1", "X-WT-UA=", "X-WT-IP=", "cg1=", "cp9999999=", "ct=", "?", "#"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
queries = st.lists(pieces, max_size=25).map("".join)
paths = st.sampled_from([f"/{SHOP}/wt", f"/{SHOP}/wt.pl", f"/{SHOP}/batch", "/1/wt", f"/{SHOP},{SHOP},9/wt", f"/{SHOP}/wtx"])


def snapshot(services):
    return stored(services, "SELECT id, page, visitor, time_ms, visit_id FROM mapp_hits WHERE page = 'kept' ORDER BY id")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths, query=queries, body=st.binary(max_size=300) | queries.map(str.encode),
       agent=st.text(alphabet=st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=40), cookie=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
       method=st.sampled_from(["GET", "POST"]))
def test_anything_a_browser_sends_is_answered_with_the_gif(app, http, services, world, path, query, body, agent, cookie, method):
    if not snapshot(services):
        hit(http, "kept", eid="keeper")
    before = snapshot(services)
    # bytes exactly as given (an HTTP client would escape them), the user agent as raw UTF-8
    status, headers, answer = raw_request(app, method, path, query.encode(), body if method == "POST" else b"",
                                          [(b"user-agent", agent.encode()), (b"cookie", cookie.encode())])
    assert status == 200 and headers[b"content-type"] == b"image/gif" and answer.startswith(b"GIF89a")
    assert snapshot(services) == before


def raw_request(app, method, path, query, body, headers):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_raw_bytes_that_are_not_utf8_in_the_query(app, services, world):
    status, body = raw_get(app, f"/{SHOP}/wt", b"p=600,\xff\xfe%ff,1,0,0,0,0,0,0,0&eid=\xc3")
    assert status == 200 and body.startswith(b"GIF89a")
    assert stored(services, "SELECT page, visitor FROM mapp_hits") == [("\ufffd\ufffd\ufffd", "\ufffd")]
