"""The baseline: a bare Starlette app answering one small JSON document (to GET, and to a
POST after reading its body: the cost of a request body in the server, for APIs that POST).

Served by the same Granian settings as polytrack (`polytrack.cli.serve_target`), so a ratio
of the two measures polytrack's own work per request, not a server difference.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request):
    if request.method == "POST":
        await request.body()  # what an API answering a POST reads first
    return JSONResponse({"hello": "world"})


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", hello, methods=["GET", "POST"])])


if __name__ == "__main__":
    # python -m bench.hello_app HOST PORT
    from polytrack.cli import serve_target

    serve_target("bench.hello_app:create_app", sys.argv[1], int(sys.argv[2]), 1, "warning")
