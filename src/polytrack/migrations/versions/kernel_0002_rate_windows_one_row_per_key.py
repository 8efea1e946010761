"""kernel: rate-limit windows, one row per key holding the current and the previous window

Revision ID: kernel_0002
Revises: kernel_0001
Create Date: 2026-11-25

Rate-limit state is short-lived (two windows), so the table is recreated rather than converted.
"""
import sqlalchemy as sa
from alembic import op

revision = "kernel_0002"
down_revision = "kernel_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("kernel_rate_windows")
    op.create_table(
        "kernel_rate_windows",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kernel_rate_windows")),
    )


def downgrade() -> None:
    op.drop_table("kernel_rate_windows")
    op.create_table(
        "kernel_rate_windows",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_kernel_rate_windows")),
    )
