"""payt: fleet data model (folders, devices, vehicles, drivers, locations, positions, events, trips, stops, daily stats, tasks)

Revision ID: payt_0002
Revises: payt_0001
Create Date: 2026-11-25 20:38:45.517021
"""
from alembic import op
import sqlalchemy as sa


revision = 'payt_0002'
down_revision = 'payt_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('payt_unknown_devices',
    sa.Column('identifier', sa.String(length=128), nullable=False),
    sa.Column('first_seen_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_seen_ms', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('identifier', name=op.f('pk_payt_unknown_devices'))
    )
    op.create_table('payt_devices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=128), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_devices_client_id_payt_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_devices')),
    sa.UniqueConstraint('identifier', name=op.f('uq_payt_devices_identifier'))
    )
    with op.batch_alter_table('payt_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_devices_client_id'), ['client_id'], unique=False)

    op.create_table('payt_groups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('row_version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_groups_client_id_payt_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['payt_groups.id'], name=op.f('fk_payt_groups_parent_id_payt_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_groups'))
    )
    with op.batch_alter_table('payt_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_groups_client_id'), ['client_id'], unique=False)

    op.create_table('payt_drivers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('row_version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_drivers_client_id_payt_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['payt_groups.id'], name=op.f('fk_payt_drivers_group_id_payt_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_drivers'))
    )
    with op.batch_alter_table('payt_drivers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_drivers_client_id'), ['client_id'], unique=False)

    op.create_table('payt_locations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('radius_m', sa.Float(), nullable=True),
    sa.Column('polygon_geojson', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_locations_client_id_payt_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['payt_groups.id'], name=op.f('fk_payt_locations_group_id_payt_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_locations'))
    )
    with op.batch_alter_table('payt_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_locations_client_id'), ['client_id'], unique=False)

    op.create_table('payt_user_groups',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['payt_groups.id'], name=op.f('fk_payt_user_groups_group_id_payt_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['payt_users.id'], name=op.f('fk_payt_user_groups_user_id_payt_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'group_id', name=op.f('pk_payt_user_groups'))
    )
    op.create_table('payt_vehicles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('driver_id', sa.Integer(), nullable=True),
    sa.Column('driver_start_ms', sa.BigInteger(), nullable=True),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('registration', sa.String(length=64), nullable=False),
    sa.Column('hourly_cost', sa.Float(), nullable=False),
    sa.Column('km_cost', sa.Float(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=True),
    sa.Column('depot_name', sa.String(length=255), nullable=True),
    sa.Column('speed_limit_kph', sa.Float(), nullable=True),
    sa.Column('row_version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_vehicles_client_id_payt_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['payt_devices.id'], name=op.f('fk_payt_vehicles_device_id_payt_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['driver_id'], ['payt_drivers.id'], name=op.f('fk_payt_vehicles_driver_id_payt_drivers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['payt_groups.id'], name=op.f('fk_payt_vehicles_group_id_payt_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_vehicles')),
    sa.UniqueConstraint('device_id', name=op.f('uq_payt_vehicles_device_id'))
    )
    with op.batch_alter_table('payt_vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_vehicles_client_id'), ['client_id'], unique=False)

    op.create_table('payt_daily_stats',
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('first_ignition_on_ms', sa.BigInteger(), nullable=True),
    sa.Column('last_ignition_off_ms', sa.BigInteger(), nullable=True),
    sa.Column('driving_seconds', sa.Float(), nullable=False),
    sa.Column('idle_seconds', sa.Float(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('max_speed_kph', sa.Float(), nullable=False),
    sa.Column('journeys', sa.Integer(), nullable=False),
    sa.Column('positions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_daily_stats_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vehicle_id', 'day', name=op.f('pk_payt_daily_stats'))
    )
    op.create_table('payt_derivation_state',
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('derived_until_ms', sa.BigInteger(), nullable=True),
    sa.Column('dirty_from_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_derivation_state_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_payt_derivation_state'))
    )
    op.create_table('payt_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('at_ms', sa.BigInteger(), nullable=False),
    sa.Column('event_type_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('speed_kph', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['payt_locations.id'], name=op.f('fk_payt_events_location_id_payt_locations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_events_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_events'))
    )
    with op.batch_alter_table('payt_events', schema=None) as batch_op:
        batch_op.create_index('ix_payt_events_vehicle_at', ['vehicle_id', 'at_ms'], unique=False)

    op.create_table('payt_positions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('fix_ms', sa.BigInteger(), nullable=False),
    sa.Column('received_ms', sa.BigInteger(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('speed_kph', sa.Float(), nullable=True),
    sa.Column('heading', sa.Float(), nullable=True),
    sa.Column('altitude', sa.Float(), nullable=True),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('battery', sa.Float(), nullable=True),
    sa.Column('ignition', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['payt_devices.id'], name=op.f('fk_payt_positions_device_id_payt_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_positions_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_positions')),
    sa.UniqueConstraint('vehicle_id', 'fix_ms', name='uq_payt_positions_vehicle_fix')
    )
    op.create_table('payt_stops',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('start_ms', sa.BigInteger(), nullable=False),
    sa.Column('end_ms', sa.BigInteger(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_stops_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_stops'))
    )
    with op.batch_alter_table('payt_stops', schema=None) as batch_op:
        batch_op.create_index('ix_payt_stops_vehicle_start', ['vehicle_id', 'start_ms'], unique=False)

    op.create_table('payt_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('ext_id', sa.BigInteger(), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_ms', sa.BigInteger(), nullable=False),
    sa.Column('end_ms', sa.BigInteger(), nullable=False),
    sa.Column('grace_period_mins', sa.Integer(), nullable=False),
    sa.Column('assigned_vehicle_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to', sa.String(length=255), nullable=False),
    sa.Column('region_geojson', sa.Text(), nullable=False),
    sa.Column('parameter_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('eta_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_tasks_assigned_vehicle_id_payt_vehicles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['payt_clients.id'], name=op.f('fk_payt_tasks_client_id_payt_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_tasks'))
    )
    with op.batch_alter_table('payt_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payt_tasks_client_id'), ['client_id'], unique=False)

    op.create_table('payt_trips',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('start_ms', sa.BigInteger(), nullable=False),
    sa.Column('end_ms', sa.BigInteger(), nullable=False),
    sa.Column('start_latitude', sa.Float(), nullable=False),
    sa.Column('start_longitude', sa.Float(), nullable=False),
    sa.Column('end_latitude', sa.Float(), nullable=False),
    sa.Column('end_longitude', sa.Float(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('max_speed_kph', sa.Float(), nullable=False),
    sa.Column('average_speed_kph', sa.Float(), nullable=False),
    sa.Column('positions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['payt_vehicles.id'], name=op.f('fk_payt_trips_vehicle_id_payt_vehicles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payt_trips'))
    )
    with op.batch_alter_table('payt_trips', schema=None) as batch_op:
        batch_op.create_index('ix_payt_trips_vehicle_start', ['vehicle_id', 'start_ms'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('payt_trips', schema=None) as batch_op:
        batch_op.drop_index('ix_payt_trips_vehicle_start')

    op.drop_table('payt_trips')
    with op.batch_alter_table('payt_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_tasks_client_id'))

    op.drop_table('payt_tasks')
    with op.batch_alter_table('payt_stops', schema=None) as batch_op:
        batch_op.drop_index('ix_payt_stops_vehicle_start')

    op.drop_table('payt_stops')
    op.drop_table('payt_positions')
    with op.batch_alter_table('payt_events', schema=None) as batch_op:
        batch_op.drop_index('ix_payt_events_vehicle_at')

    op.drop_table('payt_events')
    op.drop_table('payt_derivation_state')
    op.drop_table('payt_daily_stats')
    with op.batch_alter_table('payt_vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_vehicles_client_id'))

    op.drop_table('payt_vehicles')
    op.drop_table('payt_user_groups')
    with op.batch_alter_table('payt_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_locations_client_id'))

    op.drop_table('payt_locations')
    with op.batch_alter_table('payt_drivers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_drivers_client_id'))

    op.drop_table('payt_drivers')
    with op.batch_alter_table('payt_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_groups_client_id'))

    op.drop_table('payt_groups')
    with op.batch_alter_table('payt_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payt_devices_client_id'))

    op.drop_table('payt_devices')
    op.drop_table('payt_unknown_devices')

