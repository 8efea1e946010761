"""TRANSITION: moved to kernel.sql (Statement); removed once every caller has moved."""

from polytrack.kernel.sql import Statement as RawStatement  # noqa: F401
