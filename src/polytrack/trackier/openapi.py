"""The OpenAPI 3 document of Trackier's REST surface, served at /_polytrack/openapi/trackier.json.

Built from the operation registry, so it lists exactly what is served, each operation with what
its declaration says (operations/base.py): its path ids, the query parameters it reads, the body
it reads and its answer, whose shared objects are the components declared beside the functions
that build them (shapes.py, schema.py). Errors are described from the wire's own rules (wire.py,
errors.py): every call may meet the key checks (401, 403, 429) and a server failure (500); an
operation meets 400 when it reads parameters or a body, 404 when it names something by id, and
501 when a path id is not an id at all (the path is then unknown, as the route table says).
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import JSONResponse

from polytrack.trackier import errors
from polytrack.trackier.errors import MESSAGES, STATUS
from polytrack.trackier.operations import registries
from polytrack.trackier.schema import COMPONENTS, ID, Param, array, enum, obj

TAGS = {"advertiser": "Advertiser API", "affiliate": "Affiliate API", "network": "Network API"}
BODY_TYPES = ("application/json", "application/x-www-form-urlencoded")


def _codes(status: int) -> list[int]:
    """The codes that travel with an HTTP status (an unknown URI's 501: code 32)."""
    if status == 501:
        return [errors.INVALID_METHOD]
    return sorted(code for code, usual in STATUS.items() if usual == status)


def error_schema(codes: list[int]) -> dict:
    """Trackier's error body with one of these codes; `data.errors` (field -> messages) only on
    a parameter error."""
    return obj(success=enum(False), error=obj(code=enum(*codes), message=enum(*(MESSAGES[c] for c in codes))),
               data=obj(message=enum(*(MESSAGES[c] for c in codes)), errors={"type": "object"}, optional=["errors"]))


def _response(description: str, schema: dict, headers: dict | None = None) -> dict:
    found = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        found["headers"] = headers
    return found


ERRORS = {
    400: "a parameter or the body is not valid (code 20, the problems in data.errors; 30: an unreadable body)",
    401: "no API key (12) or an unknown one (13)",
    403: "the key's role may not call this (5), its IP is not whitelisted (41), it is locked (42)",
    404: "no such id, or not the caller's (31)",
    429: "too many calls (40); Retry-After says how many seconds to wait",
    500: "a failure of the server (51)",
    501: "a path id that is not one (24 hex digits or a number) makes the path unknown (32)",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "required": True, "description": "seconds to wait"}}


# one response component per error status, with the codes that travel with it
ERROR_RESPONSES = {f"Error{status}": _response(description, error_schema(_codes(status)),
                                                RETRY_AFTER if status == 429 else None)
                   for status, description in ERRORS.items()}


def _errors(statuses: list[int]) -> dict:
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def _parameter(param: Param) -> dict:
    if param.many:  # PHP's list form, name[]=a&name[]=b
        return {"name": f"{param.name}[]", "in": "query", "required": False, "description": param.description,
                "schema": array(param.schema), "style": "form", "explode": True}
    return {"name": param.name, "in": "query", "required": False, "description": param.description,
            "schema": param.schema}


def _operation(operation) -> dict:
    options = operation.options
    method, template = options["method"], options["template"]
    [role] = sorted(options["roles"])
    path_ids = re.findall(r"\{([^}]+)\}", template)
    statuses = [401, 403, 429, 500]
    if options["query"] or options["body"] is not None:
        statuses.append(400)
    if path_ids or any(param.not_found for param in options["query"]):
        statuses.append(404)
    if path_ids:
        statuses.append(501)
    found: dict = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {template}").strip("_"),
        "summary": f"{method} {template}", "tags": [TAGS[role]],
        "parameters": [{"name": name, "in": "path", "required": True, "schema": ID} for name in path_ids]
                      + [_parameter(param) for param in options["query"]],
        "responses": {"200": _response("the answer (business refusals too, with success false)", options["answer"]),
                      **_errors(sorted(statuses))},
    }
    if options["body"] is not None:
        found["requestBody"] = {"required": False,
                                "content": {kind: {"schema": options["body"]} for kind in BODY_TYPES}}
    return found


@lru_cache(maxsize=1)
def document() -> dict:
    paths: dict[str, dict] = {}
    [registry] = registries()
    for operation in registry:
        template = operation.options["template"]
        paths.setdefault(template, {})[operation.options["method"].lower()] = _operation(operation)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Trackier v1 (polytrack)", "version": "1",
                 "description": "Trackier's v1 REST API as polytrack serves it: network, advertiser and affiliate "
                                "keys (X-Api-Key, or the apiKey query parameter). See docs/trackier.md."},
        "servers": [{"url": "/api"}],
        "components": {
            "schemas": dict(sorted(COMPONENTS.items())), "responses": ERROR_RESPONSES,
            "securitySchemes": {"header": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                                "query": {"type": "apiKey", "in": "query", "name": "apiKey"}}},
        "security": [{"header": []}, {"query": []}],
        "paths": paths,
    }


async def serve(_request: Request) -> JSONResponse:
    return JSONResponse(document())

