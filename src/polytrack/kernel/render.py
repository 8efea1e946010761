"""Renderers shared by the APIs: JSON (with raw JavaScript fragments), JSONP and XML."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from xml.sax.saxutils import escape

from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
JS_TYPE = "application/javascript; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


class TextResponse:
    """A complete answer with no extra headers, sent as Starlette's `Response(text, status_code,
    media_type)` would send it (the same two ASGI messages, Content-Length then Content-Type), for
    the APIs' hot paths: Starlette builds and checks its header list on every response, which
    costs as much as some whole API calls. `media_type` must name its charset."""

    __slots__ = ("status_code", "body", "_content_type")

    def __init__(self, text: str, media_type: str = JSON_TYPE, status_code: int = 200):
        self.status_code = status_code
        self.body = text.encode()
        self._content_type = media_type.encode("latin-1")

    async def __call__(self, scope, receive, send) -> None:
        await send({
            "type": "http.response.start", "status": self.status_code,
            "headers": [(b"content-length", str(len(self.body)).encode()), (b"content-type", self._content_type)],
        })
        await send({"type": "http.response.body", "body": self.body})


class Raw:
    """A fragment written into JSON output verbatim, e.g. PAYT's unquoted `new Date(ms)`."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Raw) and other.text == self.text

    def __repr__(self):
        return f"Raw({self.text!r})"


# Raw values are encoded as a marker string first, then the quoted marker is swapped for the
# fragment. The marker holds a per-process random nonce, so text that comes from users can never
# pass for one.
_NONCE = secrets.token_hex(8)
_RAW_MARK = "\u0000raw" + _NONCE + "-{}\u0000"
_RAW_RE = re.compile(r'"\\u0000raw' + _NONCE + r'-(\d+)\\u0000"')


def to_json(obj, *, ensure_ascii: bool = False) -> str:
    """Compact JSON; `Raw` values are spliced in unquoted, Decimals become numbers."""
    raws: list[str] = []

    def default(value):
        if isinstance(value, Raw):
            raws.append(value.text)
            return _RAW_MARK.format(len(raws) - 1)
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=ensure_ascii, default=default)
    if raws:
        text = _RAW_RE.sub(lambda m: raws[int(m.group(1))], text)
    return text


_CALLBACK_RE = re.compile(r"^[A-Za-z_$][0-9A-Za-z_$]*(\.[A-Za-z_$][0-9A-Za-z_$]*)*$")


def valid_callback(name: str) -> bool:
    return bool(_CALLBACK_RE.match(name)) and len(name) <= 128


def json_response(obj, *, status: int = 200, callback: str | None = None, headers: dict | None = None) -> Response:
    """JSON, or JSONP `callback(json);` when a (validated) callback name is given."""
    body = to_json(obj)
    if callback:
        return Response(f"{callback}({body});", status_code=status, media_type=JS_TYPE, headers=headers)
    return Response(body, status_code=status, media_type=JSON_TYPE, headers=headers)


# Characters XML 1.0 cannot carry at all, even escaped: dropped from text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_scalar(value) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return escape(_NOT_XML.sub("", str(value)))


def _xml_value(name: str, value, item_name: str, out: list[str]) -> None:
    if value is None or value == "" or value == [] or value == {}:
        out.append(f"<{name}/>")
        return
    out.append(f"<{name}>")
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_value(str(key), child, item_name, out)
    elif isinstance(value, (list, tuple)):
        for child in value:
            _xml_value(item_name, child, item_name, out)
    else:
        out.append(_xml_scalar(value))
    out.append(f"</{name}>")


def to_xml(root: str, obj, *, item_name: str = "row") -> str:
    """Dict -> elements named by key, list -> one `<item_name>` per entry, None -> empty element."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _xml_value(root, obj, item_name, out)
    return "".join(out)


def xml_response(root: str, obj, *, status: int = 200, item_name: str = "row") -> Response:
    return Response(to_xml(root, obj, item_name=item_name), status_code=status, media_type=XML_TYPE)
