"""kernel.render: JSON with raw fragments, JSONP, XML."""

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from polytrack.kernel.render import Raw, json_response, to_json, to_xml, valid_callback, xml_response


def test_json_is_compact_and_keeps_unicode():
    assert to_json({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'


def test_raw_fragments_are_spliced_unquoted():
    text = to_json({"when": Raw("new Date(1718193600000)"), "rows": [{"v": Raw("new Date(0)")}, {"v": 2}]})
    assert text == '{"when":new Date(1718193600000),"rows":[{"v":new Date(0)},{"v":2}]}'


def test_text_looking_like_a_raw_marker_is_left_alone():
    sneaky = "\u0000raw0\u0000"
    assert json.loads(to_json({"a": sneaky})) == {"a": sneaky}
    assert json.loads(to_json({"a": sneaky, "b": Raw("1")}))["a"] == sneaky


def test_decimal_becomes_number_and_unknown_types_fail():
    assert to_json({"x": Decimal("42.35")}) == '{"x":42.35}'
    with pytest.raises(TypeError):
        to_json({"x": object()})


def test_json_response_and_jsonp():
    plain = json_response({"a": 1})
    assert plain.body == b'{"a":1}' and plain.media_type.startswith("application/json")
    padded = json_response({"a": 1}, callback="cb.x", status=201)
    assert padded.body == b'cb.x({"a":1});' and padded.media_type.startswith("application/javascript")
    assert padded.status_code == 201


@pytest.mark.parametrize("name,ok", [
    ("cb", True), ("jQuery123_456", True), ("a.b.c", True), ("$x", True),
    ("alert(1)", False), ("a..b", False), ("1abc", False), ("", False), ("a;b", False), ("x" * 129, False),
])
def test_callback_names(name, ok):
    assert valid_callback(name) is ok


def test_xml_shapes():
    text = to_xml("response", {"code": 1, "ok": True, "no": False, "n": 2.0, "f": 2.5, "none": None, "empty": [],
                               "rows": [{"id": 1}, {"id": 2}]})
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<response>')
    root = etree.fromstring(text.encode())
    assert root.findtext("code") == "1" and root.findtext("ok") == "1" and root.findtext("no") == "0"
    assert root.findtext("n") == "2" and root.findtext("f") == "2.5"
    assert root.find("none").text is None and len(root.find("empty")) == 0
    assert [row.findtext("id") for row in root.find("rows")] == ["1", "2"]
    assert [child.tag for child in root.find("rows")] == ["row", "row"]


def test_xml_escapes_markup_and_custom_item_name():
    text = to_xml("r", {"msg": "<b>&\"x\"</b> ]]>", "items": ["a"]}, item_name="item")
    root = etree.fromstring(text.encode())
    assert root.findtext("msg") == "<b>&\"x\"</b> ]]>"
    assert root.find("items/item").text == "a"


def test_xml_drops_characters_xml_cannot_carry():
    root = etree.fromstring(to_xml("r", {"v": "a\x00b\x01c\x0bd\ufffe"}).encode())
    assert root.findtext("v") == "abcd"


def test_xml_response():
    response = xml_response("response", {"a": 1}, status=200)
    assert response.media_type.startswith("text/xml") and b"<a>1</a>" in response.body


_tag = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,10}\Z")
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text())
_tree = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_tag, inner, max_size=4)),
                     max_leaves=20)


@settings(deadline=None)  # a busy CI machine must not turn slowness into failure
@given(obj=st.dictionaries(_tag, _tree, max_size=6))
def test_xml_is_well_formed_for_any_tree(obj):
    root = etree.fromstring(to_xml("response", obj).encode())
    assert root.tag == "response" and len(root) == len(obj)


@settings(deadline=None)  # a busy CI machine must not turn slowness into failure
@given(text=st.text())
def test_xml_text_survives_except_forbidden_characters(text):
    root = etree.fromstring(to_xml("r", {"v": text}).encode())
    allowed = "".join(ch for ch in text if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd")
                      or ch >= "\U00010000")
    expected = allowed.replace("\r\n", "\n").replace("\r", "\n")  # XML parsers normalise line ends
    assert (root.findtext("v") or "") == expected
