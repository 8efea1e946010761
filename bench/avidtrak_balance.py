"""AvidTrak get_remaining_balance throughput as a ratio to the bare hello app (goal >= 0.6).

    python -m bench avidtrak-balance [--scale small|full]

The AvidTrak row of `bench http` on its own: the same servers, settings and method (demo data,
Granian with one worker, rate limits on but never tripped). `small` (a quick check that it
runs) loads for 1 s once; `full` for 10 s, three rounds, median.
"""

from __future__ import annotations

import argparse

from bench import http

SCALES = {"small": ["--duration", "1", "--rounds", "1", "--connections", "8"],
          "full": ["--duration", "10", "--rounds", "3", "--connections", "32"]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench avidtrak-balance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=tuple(SCALES), default="full")
    args = parser.parse_args(argv)
    return http.main(["--only", "avidtrak", *SCALES[args.scale]])
