"""avidtrak: pincode digests keyed with the server secret (pincode_key_id)

Revision ID: avidtrak_0002
Revises: avidtrak_0001
Create Date: 2026-12-03 08:02:26.844302

Every row existing at this upgrade holds a plain SHA-256 of its pincode and gets
pincode_key_id NULL, which marks it so. The keying itself needs the server secret, which a
migration does not know (it is not in the database): the server does it when it starts
(avidtrak/server_keys.py, upgrade_stored_rows).
"""
from alembic import op
import sqlalchemy as sa


revision = 'avidtrak_0002'
down_revision = 'avidtrak_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('avidtrak_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pincode_key_id', sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A keyed digest cannot be turned back into a plain one without the pincode: after a
    # downgrade, pincodes created or keyed since stop working until they are regenerated.
    with op.batch_alter_table('avidtrak_accounts', schema=None) as batch_op:
        batch_op.drop_column('pincode_key_id')
