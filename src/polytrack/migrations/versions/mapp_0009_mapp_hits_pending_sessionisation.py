"""mapp: hits wait for sessionisation (pending, their parameters as sent), visitors' lock rows go

Revision ID: mapp_0009
Revises: mapp_0008
Create Date: 2026-12-03 14:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0009'
down_revision = 'mapp_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mapp_hits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('params', sa.Text(), server_default='', nullable=False))
    op.create_index('ix_mapp_hits_pending', 'mapp_hits', ['account_id', 'id'], unique=False,
                    sqlite_where=sa.text('pending'), postgresql_where=sa.text('pending'))
    op.drop_table('mapp_visitors')


def downgrade() -> None:
    op.create_table('mapp_visitors',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('visitor', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['mapp_accounts.id'], name=op.f('fk_mapp_visitors_account_id_mapp_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'visitor', name=op.f('pk_mapp_visitors'))
    )
    op.drop_index('ix_mapp_hits_pending', table_name='mapp_hits', sqlite_where=sa.text('pending'),
                  postgresql_where=sa.text('pending'))
    with op.batch_alter_table('mapp_hits', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('pending')
