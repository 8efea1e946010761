"""mapp: the order ids of hits, filed per day for e-commerce parameters as analysis objects

Revision ID: mapp_0012
Revises: mapp_0011
Create Date: 2026-12-03 20:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0012'
down_revision = 'mapp_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mapp_hit_orders',
    sa.Column('hit_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=400), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['hit_id'], ['mapp_hits.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hit_id')
    )
    op.create_index('ix_mapp_hit_orders_day', 'mapp_hit_orders', ['account_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mapp_hit_orders_day', table_name='mapp_hit_orders')
    op.drop_table('mapp_hit_orders')
