"""The baseline: a bare Starlette app answering one small JSON document.

Served by the same Granian settings as polytrack (`polytrack.cli.serve_target`), so a ratio
of the two measures polytrack's own work per request, not a server difference.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_request):
    return JSONResponse({"hello": "world"})


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", hello)])


if __name__ == "__main__":
    # python -m bench.hello_app HOST PORT
    from polytrack.cli import serve_target

    serve_target("bench.hello_app:create_app", sys.argv[1], int(sys.argv[2]), 1, "warning")
