"""mapp: accounts, users, user accounts

Revision ID: mapp_0001
Revises: kernel_0001
Create Date: 2026-11-25 20:42:53.084187
"""
from alembic import op
import sqlalchemy as sa


revision = 'mapp_0001'
down_revision = 'kernel_0001'
branch_labels = ('mapp',)
depends_on = None


def upgrade() -> None:
    op.create_table('mapp_accounts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mapp_accounts')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_mapp_accounts_customer_id'))
    )
    op.create_table('mapp_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('login', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mapp_users')),
    sa.UniqueConstraint('login', name=op.f('uq_mapp_users_login'))
    )
    op.create_table('mapp_user_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['mapp_accounts.id'], name=op.f('fk_mapp_user_accounts_account_id_mapp_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['mapp_users.id'], name=op.f('fk_mapp_user_accounts_user_id_mapp_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'account_id', name=op.f('pk_mapp_user_accounts'))
    )
    with op.batch_alter_table('mapp_user_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mapp_user_accounts_account_id'), ['account_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mapp_user_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mapp_user_accounts_account_id'))

    op.drop_table('mapp_user_accounts')
    op.drop_table('mapp_users')
    op.drop_table('mapp_accounts')
