"""mapp: the products of hits, filed per day for product categories as analysis objects

Revision ID: mapp_0010
Revises: mapp_0009
Create Date: 2026-12-03 17:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0010'
down_revision = 'mapp_0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mapp_hit_products',
    sa.Column('hit_id', sa.BigInteger(), nullable=False),
    sa.Column('product', sa.String(length=400), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['hit_id'], ['mapp_hits.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hit_id', 'product')
    )
    op.create_index('ix_mapp_hit_products_day', 'mapp_hit_products', ['account_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mapp_hit_products_day', table_name='mapp_hit_products')
    op.drop_table('mapp_hit_products')
