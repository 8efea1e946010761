"""What Trackier's operations take and answer, in the vocabulary of OpenAPI 3.0's JSON Schema.

Each operation declares its query parameters (`query=`) and its answer (`answer=`) next to its
handler (operations/), and the shared objects' schemas sit next to the functions that build
them (shapes.py); openapi.py turns the declarations into the served document. Objects are
closed (no key beyond those listed, every listed key present unless said optional), so an
answer that gains, loses or retypes a key contradicts the document, and the schemathesis test
(tests/trackier/test_openapi.py) fails until the declaration follows.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

STRING: dict = {"type": "string"}
INTEGER: dict = {"type": "integer"}
NUMBER: dict = {"type": "number"}  # money and ratios: 4 or 4.25
BOOLEAN: dict = {"type": "boolean"}
ANY: dict = {}
DAY: dict = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}  # YYYY-MM-DD
OBJECT_ID: dict = {"type": "string", "pattern": r"^[0-9a-f]{24}$"}  # the 24-hex "long id"
ID_PATTERN = r"^(?:[0-9a-fA-F]{24}|[0-9]+)$"  # what an id in a path or filter may be: long or display id
ID: dict = {"type": "string", "pattern": ID_PATTERN}

# Named schemas (OpenAPI components), filled by `named` when the modules declaring them load.
COMPONENTS: dict[str, dict] = {}


def named(name: str, schema: dict) -> dict:
    """Register `schema` as the component `name`; returns the reference to it."""
    if name in COMPONENTS and COMPONENTS[name] != schema:
        raise ValueError(f"Trackier schema {name!r} declared twice")
    COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    if "$ref" in schema:  # OpenAPI 3.0 ignores siblings of $ref
        return {"nullable": True, "allOf": [schema]}
    return {**schema, "nullable": True}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def obj(properties: dict[str, dict] | None = None, *, optional: Iterable[str] = (), **more: dict) -> dict:
    """A closed object: these keys (all present but the `optional` ones), no others. Keys that
    are not Python names (`_id`) go in `properties`."""
    props = {**(properties or {}), **more}
    optional = set(optional)
    found: dict = {"type": "object", "properties": props, "additionalProperties": False}
    required = [name for name in props if name not in optional]
    if required:
        found["required"] = required
    return found


def map_of(values: dict) -> dict:
    """An object used as a map: any keys, each with a value of `values`."""
    return {"type": "object", "additionalProperties": values}


def form(*, required: Iterable[str] = (), **properties: dict) -> dict:
    """A request body: an object with these fields (the `required` ones must be there; the
    server names what is missing, 400 code 20); fields it does not read are ignored."""
    found: dict = {"type": "object", "properties": properties}
    if required:
        found["required"] = list(required)
    return found


def choice(values: Iterable[str]) -> dict:
    """Text, one of `values`."""
    return {"type": "string", "enum": list(values)}


def one_of(*schemas: dict) -> dict:
    return {"anyOf": list(schemas)}


def enum(*values) -> dict:
    return {"enum": list(values)}


def envelope(data: dict | None = None, **top: dict) -> dict:
    """Trackier's usual answer: `{"success": bool, "data": {...}}`; `top`: keys beside `data`
    (the documented exceptions: a top-level `message`, `pagination` ...)."""
    found = {"success": BOOLEAN, **({"data": obj(data)} if data is not None else {}), **top}
    return obj(found)


def message_only() -> dict:
    """`{"success": bool, "data": {"message": text}}`: deletes and other acknowledgements."""
    return envelope({"message": STRING})


# --- query parameters ---------------------------------------------------------------------------

class Param(NamedTuple):
    """One query parameter as the server reads it. `many`: a list, sent PHP-style as
    `name[]=a&name[]=b` (the server also takes repeats of `name=` and comma-separated values)."""

    name: str
    schema: dict
    description: str = ""
    many: bool = False
    not_found: bool = False  # an unknown value answers 404 (code 31), not 400


PAGING = (Param("limit", {"type": "integer", "minimum": 1, "maximum": 999_999_999},
                "items a page (at most 1000 are given)"),
          Param("page", {"type": "integer", "minimum": 1, "maximum": 999_999_999}, "1-based page"))
PERIOD = (Param("start", DAY, "first day, in the network's time zone"),
          Param("end", DAY, "last day (at most 366 days after start)"))


def ids(name: str, description: str, *, not_found: bool = False) -> Param:
    """A filter by ids (long or display ids), PHP list style. An unknown id is a parameter error
    (400), or with `not_found` a 404 (the self-service APIs: not the caller's)."""
    return Param(name, ID, description, many=True, not_found=not_found)


def words(name: str, choices: Iterable[str], description: str) -> Param:
    """A list of names from a fixed map (groupings, fields)."""
    return Param(name, {"type": "string", "enum": list(choices)}, description, many=True)
