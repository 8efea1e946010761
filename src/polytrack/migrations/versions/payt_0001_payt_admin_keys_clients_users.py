"""payt: admin keys, clients, users

Revision ID: payt_0001
Revises: kernel_0001
Create Date: 2026-11-25 20:36:08.368918
"""
from alembic import op
import sqlalchemy as sa


revision = 'payt_0001'
down_revision = 'kernel_0001'
branch_labels = ('payt',)
depends_on = None


def upgrade() -> None:

    op.create_table('payt_admin_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_admin_keys')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_payt_admin_keys_key_digest'))
    )
    op.create_table('payt_clients',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company', sa.String(length=255), nullable=False),
    sa.Column('admin_key_id', sa.Integer(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('calls_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['admin_key_id'], ['payt_admin_keys.id'], name=op.f('fk_payt_clients_admin_key_id_payt_admin_keys'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_clients')),
    sa.UniqueConstraint('company', name=op.f('uq_payt_clients_company'))
    )
    op.create_table('payt_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('ssid_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_users_client_id_payt_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_users')),
    sa.UniqueConstraint('email', name='uq_payt_users_email'),
    sa.UniqueConstraint('ssid_digest', name=op.f('uq_payt_users_ssid_digest'))
    )
    with op.batch_alter_table('payt_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_users_client_id'), ['client_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('payt_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_users_client_id'))

    op.drop_table('payt_users')
    op.drop_table('payt_clients')
    op.drop_table('payt_admin_keys')

