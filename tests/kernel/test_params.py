"""kernel.params: names as the old PHP / ASP.NET back ends read them."""

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from polytrack.kernel.params import Params, parse_query, picked_headers, read_params


def params(query: str, **kwargs) -> Params:
    return Params(parse_query(query), **kwargs)


def test_names_are_case_insensitive():
    p = params("OP=Authenticate&SubOp=Login")
    assert p.get("op") == "Authenticate" and p.get("SUBOP") == "Login"
    assert "Op" in p and "missing" not in p
    assert p.get("missing") is None and p.get("missing", "x") == "x"


def test_exact_case_spelling_wins_over_other_spellings():
    p = params("Ticket=upper&ticket=lower")
    assert p.get("ticket") == "lower"
    assert p.get("Ticket") == "upper"
    assert p.get("TICKET") == "upper"  # no exact match: the first seen


def test_repeats_first_wins_by_default_last_wins_for_php():
    assert params("a=1&a=2").get("a") == "1"
    assert params("a=1&a=2", last_wins=True).get("a") == "2"


def test_blank_values_are_kept():
    p = params("a=&b")
    assert p.get("a") == "" and p.get("b") == ""


@pytest.mark.parametrize("query", [
    "sid[]=a&sid[]=b&sid[]=c",
    "sid[0]=a&sid[1]=b&sid[2]=c",
    "sid[2]=c&sid[0]=a&sid[1]=b",  # explicit indexes order the values
    "sid=a&sid=b&sid=c",
    "sid%20[]=a&sid%20[]=b&sid%20[]=c",  # whitespace before [ is ignored, as PHP does
    "SID[ 0 ]=a&Sid[1]=b&sid[2]=c",
])
def test_array_forms_all_read_as_one_list(query):
    assert params(query).get_list("sid") == ["a", "b", "c"]


def test_scalar_reads_as_one_element_list_and_missing_as_empty():
    assert params("sid=a").get_list("sid") == ["a"]
    assert params("x=1").get_list("sid") == []


def test_array_entries_are_not_scalars():
    p = params("sid[]=a")
    assert p.get("sid") is None and "sid" in p and p.names() == ["sid"]


def test_split_commas():
    assert params("ids=1,2,%203&ids[]=4,").get_list("ids", split_commas=True) == ["4", "1", "2", "3"]


_name = st.text(alphabet="abcdefghijKLMNOPQRSTuvwxyz_", min_size=1, max_size=12)
_value = st.text(max_size=20).filter(lambda v: "\x00" not in v)


@settings(deadline=None)  # a busy CI machine must not turn slowness into failure
@given(name=_name, values=st.lists(_value, min_size=1, max_size=6), form=st.sampled_from(["[]", "[i]", "repeat"]))
def test_any_list_round_trips_through_every_array_form(name, values, form):
    if form == "[]":
        pairs = [(f"{name}[]", v) for v in values]
    elif form == "[i]":
        pairs = [(f"{name}[{i}]", v) for i, v in enumerate(values)]
    else:
        pairs = [(name, v) for v in values]
    p = Params(parse_query(urlencode(pairs)))
    assert p.get_list(name.swapcase()) == values


@settings(deadline=None)  # a busy CI machine must not turn slowness into failure
@given(pairs=st.lists(st.tuples(_name, _value), min_size=1, max_size=8))
def test_every_scalar_is_found_under_any_case(pairs):
    p = Params(parse_query(urlencode(pairs)))
    for name, _ in pairs:
        spellings = [v for n, v in pairs if n.lower() == name.lower()]
        exact = [v for n, v in pairs if n == name.upper()]
        assert p.get(name.upper()) == (exact or spellings)[0]


# --- query string and form body together, over HTTP ---------------------------------------------

def _echo_app(body_wins: bool) -> TestClient:
    async def echo(request):
        p = await read_params(request, body_wins=body_wins)
        return JSONResponse({"a": p.get("a"), "list": p.get_list("a")})

    return TestClient(Starlette(routes=[Route("/", echo, methods=["GET", "POST"])]))


def test_aspnet_query_wins_over_body():
    response = _echo_app(body_wins=False).post("/?a=query", data={"a": "body"})
    assert response.json() == {"a": "query", "list": ["query", "body"]}


def test_php_body_wins_over_query():
    response = _echo_app(body_wins=True).post("/?a=query", data={"a": "body"})
    assert response.json()["a"] == "body"


def test_multipart_body_is_read_and_files_are_empty_strings():
    response = _echo_app(body_wins=True).post("/", data={"a": "x"}, files={"f": ("f.txt", b"data")})
    assert response.json()["a"] == "x"


def test_json_body_is_not_a_form():
    response = _echo_app(body_wins=True).post("/?a=q", json={"a": "json"})
    assert response.json()["a"] == "q"


def test_get_body_ignored():
    response = _echo_app(body_wins=True).request("GET", "/?a=q", content=b"a=body",
                                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.json()["a"] == "q"


def test_broken_form_body_raises_bad_input():
    from polytrack.kernel.params import BadInput

    async def handler(request):
        try:
            await read_params(request, body_wins=True)
        except BadInput:
            return JSONResponse({"bad": True})
        return JSONResponse({"bad": False})

    client = TestClient(Starlette(routes=[Route("/", handler, methods=["POST"])]))
    body = client.post("/", content=b"a=\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"})
    assert body.json() == {"bad": True}


QUERY_CHARS = st.sampled_from(list("ab=&%+;#?[] \t\x00é") + ["%20", "%2", "%2F", "%zz", "%C3%BC", "%FF", "ü", "%00"])


@settings(deadline=None, max_examples=500)
@given(st.lists(QUERY_CHARS, max_size=30).map("".join))
def test_parse_query_reads_what_parse_qsl_reads(query):
    assert parse_query(query) == parse_qsl(query, keep_blank_values=True)


@pytest.mark.parametrize("query", ["a=1&&b", "a+b=c+d&x=%41%ff", "=x&y=", "a=b=c", "", "&", "a;b=c", "%zz=1"])
def test_parse_query_examples(query):
    assert parse_query(query) == parse_qsl(query, keep_blank_values=True)


def test_picked_headers_are_the_first_of_each_name_decoded_like_starlette():
    raw = [(b"host", b"a.example:8080"), (b"user-agent", b"Agent/1 \xe9"), (b"host", b"b.example"),
           (b"x-other", b"1")]
    scope = {"type": "http", "headers": raw}
    picked = picked_headers(scope, (b"host", b"user-agent", b"referer"))
    headers = Request(scope).headers
    assert picked == {b"host": headers["host"], b"user-agent": headers["user-agent"]}
    assert picked[b"host"] == "a.example:8080" and picked[b"user-agent"] == "Agent/1 é"
