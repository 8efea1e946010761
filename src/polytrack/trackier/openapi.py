"""The OpenAPI 3 document of Trackier's REST surface, built from the operation registry (so it
lists exactly what is served), served at /_polytrack/openapi/trackier.json.

Every operation is described at its canonical path under the `/api` server; path parameters are
ids (24 hex digits or a display id); bodies are JSON objects; every answer is a JSON object with
`success`, and errors carry Trackier's error body. Answers' own fields are not described one by
one (docs/trackier.md does): the document promises what every answer keeps.
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import JSONResponse

from polytrack.trackier.errors import STATUS
from polytrack.trackier.operations import registries

ID_PATTERN = r"^(?:[0-9a-fA-F]{24}|[0-9]+)$"
ANSWER = {"type": "object", "required": ["success"], "properties": {"success": {"type": "boolean"}}}
ERROR = {
    "type": "object", "required": ["success", "error", "data"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "object", "required": ["code", "message"],
                  "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}},
        "data": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
    },
}
BODY_METHODS = ("POST", "PUT", "PATCH")
TAGS = {"advertiser": "Advertiser API", "affiliate": "Affiliate API", "network": "Network API"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(operation) -> dict:
    method, template = operation.options["method"], operation.options["template"]
    [role] = sorted(operation.options["roles"])
    found: dict = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {template}").strip("_"),
        "summary": f"{method} {template}", "tags": [TAGS[role]],
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": ID_PATTERN}}
                       for name in re.findall(r"\{([^}]+)\}", template)],
        "responses": {
            "200": _json(ANSWER, "the answer (business failures too, with success false)"),
            **{str(status): _json(ERROR, "Trackier's error body") for status in sorted(set(STATUS.values()))},
            "501": _json(ERROR, "an unknown URI"),
        },
    }
    if method in BODY_METHODS:
        found["requestBody"] = {"required": False, "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
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
        "components": {"securitySchemes": {
            "header": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "query": {"type": "apiKey", "in": "query", "name": "apiKey"}}},
        "security": [{"header": []}, {"query": []}],
        "paths": paths,
    }


async def serve(_request: Request) -> JSONResponse:
    return JSONResponse(document())
