"""The README's and docs/operations.md's `polytrack` commands work as written: the README puts
the command on PATH before it first shows one, every command line parses, and the README's
"Running it yourself" block runs, in its order, in a fresh directory."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from polytrack.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
ACTIVATE = ". .venv/bin/activate"


def shell_blocks(text: str) -> list[list[str]]:
    return [block.splitlines() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def polytrack_lines(text: str) -> list[str]:
    return [line for block in shell_blocks(text) for line in block if line.lstrip().startswith("polytrack ")]


def test_the_readme_puts_polytrack_on_path_before_its_first_command():
    first = min(README.index(mark) for mark in ("`polytrack ", "\npolytrack "))
    assert README.index(ACTIVATE) < first
    assert ".venv/bin/polytrack" in README[:first]


@pytest.mark.parametrize("line", polytrack_lines(README) + polytrack_lines(OPERATIONS))
def test_every_polytrack_line_parses(line):
    words = shlex.split(line, comments=True)
    if words[-1] == "&":  # started in the background
        words.pop()
    assert "..." not in line.split("#")[0] and not any(word.startswith(("[", "<")) for word in words), line
    try:
        build_parser().parse_args(words[1:])
    except SystemExit as exc:  # --help
        assert exc.code == 0, line


def test_the_running_it_yourself_block_runs_in_order(tmp_path):
    """What a new user does after `make run` (stopped) or `make venv`: paste the block."""
    section = README.split("## Running it yourself", 1)[1]
    (block,) = shell_blocks(section)[:1]
    assert block[0].startswith(ACTIVATE) and block[-1].startswith("polytrack serve ")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)  # the checkout's venv
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTRACK_")}
    for line in block[1:-1]:  # serve runs until stopped: test_every_polytrack_line_parses has it
        done = subprocess.run(["bash", "-c", f"{ACTIVATE} && {line}"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "polytrack.db").exists()
