"""Benchmarks: `python -m bench <name> [args]` runs bench/<name>.py's main(argv).

Figures and the commands that produced them go in bench/RESULTS.md.
"""
