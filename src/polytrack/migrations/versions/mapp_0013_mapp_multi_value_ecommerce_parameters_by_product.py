"""mapp: multi-value e-commerce parameters, keyed by order id and product

Revision ID: mapp_0013
Revises: mapp_0012
Create Date: 2026-12-03 21:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0013'
down_revision = 'mapp_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mapp_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product', sa.String(length=400), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('mapp_categories', schema=None) as batch_op:
        batch_op.drop_column('product')
