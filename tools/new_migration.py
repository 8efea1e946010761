"""Autogenerate the next migration of one package's branch.

    .venv/bin/python tools/new_migration.py payt "payt: vehicles and positions"

Builds a scratch SQLite database at the current heads, compares it with the tables the code
declares, and writes the difference as a new revision on that package's branch (a new branch,
rooted on the kernel, if the package has none yet). Review the file before committing.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from polytrack.kernel.db import alembic_config, upgrade


def main(package: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade(url)
        cfg = alembic_config(url)
        script = ScriptDirectory.from_config(cfg)
        existing = [r for r in script.walk_revisions() if r.revision.startswith(f"{package}_")]
        number = len(existing) + 1
        rev_id = f"{package}_{number:04d}"
        if existing:
            command.revision(cfg, message=message, autogenerate=True, head=f"{package}@head", rev_id=rev_id)
        else:
            command.revision(cfg, message=message, autogenerate=True, head="kernel_0001", splice=True,
                             branch_label=package, rev_id=rev_id)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
