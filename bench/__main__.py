"""`python -m bench <name> [args]`: run bench/<name>.py:main(argv) ('-' in the name reads as '_').

`python -m bench` alone lists the scenarios present.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

# Modules that hold shared code, not a scenario of their own.
HELPERS = {"hello_app", "servers", "wrk"}


def scenarios() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        info.name.replace("_", "-") for info in pkgutil.iter_modules([str(here)])
        if not info.name.startswith("_") and info.name not in HELPERS
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m bench <name> [args]\n\nscenarios: " + ", ".join(scenarios()))
        return 0 if argv else 2
    name = argv[0].replace("-", "_")
    if name.startswith("_") or name in HELPERS or name.replace("_", "-") not in scenarios():
        print(f"bench: no scenario {argv[0]!r}; scenarios: {', '.join(scenarios())}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{name}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
