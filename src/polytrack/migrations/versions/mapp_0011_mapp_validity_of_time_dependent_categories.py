"""mapp: the validity of time-dependent category cells (valid_from_ms, valid_to_ms)

Revision ID: mapp_0011
Revises: mapp_0010
Create Date: 2026-12-03 20:35:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0011'
down_revision = 'mapp_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mapp_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from_ms', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('valid_to_ms', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mapp_categories', schema=None) as batch_op:
        batch_op.drop_column('valid_to_ms')
        batch_op.drop_column('valid_from_ms')
