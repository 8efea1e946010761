"""PAYT / TrackerPro tables (prefix payt_)."""

from sqlalchemy import BigInteger, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from polytrack.kernel.db import metadata

# An integrator's TrackerPro admin key (only its digest is stored).
payt_admin_keys = Table(
    "payt_admin_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("key_digest", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

# A PAYT client (company): the top-level tenant that owns users and tracking data.
payt_clients = Table(
    "payt_clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("company", String(255), nullable=False, unique=True),
    Column("admin_key_id", Integer, ForeignKey("payt_admin_keys.id", ondelete="SET NULL"), nullable=True),
    Column("timezone", String(64), nullable=False, default="Europe/London"),
    # calls per minute for this client's tickets; 0 = use the server default
    Column("calls_per_minute", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
)

# A PAYT user: e-mail is the user name and unique across PAYT.
payt_users = Table(
    "payt_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("email", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    # digest of the user's current TrackerPro sign-on key (ssid); a new Register replaces it
    Column("ssid_digest", String(64), nullable=True, unique=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("email", name="uq_payt_users_email"),
)

# --- fleet data model ------------------------------------------------------------------------
# Times of tracked data are BigInteger unix milliseconds (exact, cheap to compare, index and
# de-duplicate); TrackerPro/PAYT render them as `new Date(ms)`.

# Folders ("groups"). type_id: 2 users, 3 vehicles, 4 drivers, 5 locations. parent_id NULL =
# a root folder (rendered as ParentID 0). row_version backs the TimeStamp column.
payt_groups = Table(
    "payt_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("type_id", Integer, nullable=False),
    Column("parent_id", Integer, ForeignKey("payt_groups.id", ondelete="CASCADE"), nullable=True),
    Column("description", String(255), nullable=False),
    Column("row_version", BigInteger, nullable=False, default=1),
)

# Folder permissions: which folders a user may see (with their descendants). A user with no
# rows here sees every folder of the client.
payt_user_groups = Table(
    "payt_user_groups",
    metadata,
    Column("user_id", Integer, ForeignKey("payt_users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Integer, ForeignKey("payt_groups.id", ondelete="CASCADE"), primary_key=True),
)

# A tracking unit. `identifier` is what the device sends as its id (OsmAnd `id`, IMEI ...),
# unique across the server because positions arrive without any other credential.
payt_devices = Table(
    "payt_devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("identifier", String(128), nullable=False, unique=True),
    Column("description", String(255), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

payt_drivers = Table(
    "payt_drivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("group_id", Integer, ForeignKey("payt_groups.id", ondelete="SET NULL"), nullable=True),
    Column("name", String(255), nullable=False),
    Column("row_version", BigInteger, nullable=False, default=1),
)

# A vehicle ("Asset"): one folder, the currently fitted device and the assigned driver.
payt_vehicles = Table(
    "payt_vehicles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("group_id", Integer, ForeignKey("payt_groups.id", ondelete="SET NULL"), nullable=True),
    Column("device_id", Integer, ForeignKey("payt_devices.id", ondelete="SET NULL"), nullable=True, unique=True),
    Column("driver_id", Integer, ForeignKey("payt_drivers.id", ondelete="SET NULL"), nullable=True),
    Column("driver_start_ms", BigInteger, nullable=True),
    Column("type_id", Integer, nullable=False, default=1),
    Column("description", String(255), nullable=False, default=""),
    Column("registration", String(64), nullable=False, default=""),
    Column("hourly_cost", Float, nullable=False, default=0.0),
    Column("km_cost", Float, nullable=False, default=0.0),
    Column("depot_id", Integer, nullable=True),
    Column("depot_name", String(255), nullable=True),
    # overspeed threshold for events; NULL = the server's rule-set default
    Column("speed_limit_kph", Float, nullable=True),
    Column("row_version", BigInteger, nullable=False, default=1),
)

# A location (geofence): a point with a radius, or a polygon (GeoJSON text).
payt_locations = Table(
    "payt_locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("group_id", Integer, ForeignKey("payt_groups.id", ondelete="SET NULL"), nullable=True),
    Column("name", String(255), nullable=False),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("radius_m", Float, nullable=True),
    Column("polygon_geojson", Text, nullable=True),
)

# Raw positions as devices sent them. (vehicle_id, fix_ms) is unique: a retransmitted fix is a
# duplicate, not a second position.
payt_positions = Table(
    "payt_positions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", Integer, ForeignKey("payt_devices.id", ondelete="SET NULL"), nullable=True),
    Column("fix_ms", BigInteger, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("speed_kph", Float, nullable=True),
    Column("heading", Float, nullable=True),
    Column("altitude", Float, nullable=True),
    Column("accuracy", Float, nullable=True),
    Column("battery", Float, nullable=True),
    # ignition as the device reported it (1/0), NULL when the device does not report it
    Column("ignition", Integer, nullable=True),
    UniqueConstraint("vehicle_id", "fix_ms", name="uq_payt_positions_vehicle_fix"),
)

# Events derived from positions: ignition on/off, entering/leaving a location, overspeed.
payt_events = Table(
    "payt_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("event_type_id", Integer, nullable=False),
    Column("location_id", Integer, ForeignKey("payt_locations.id", ondelete="SET NULL"), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("speed_kph", Float, nullable=True),
    # fix_ms of the position whose processing produced the event: a recomputation from a
    # checkpoint deletes exactly the events produced after it (payt_0003)
    Column("source_ms", BigInteger, nullable=True),
    Index("ix_payt_events_vehicle_at", "vehicle_id", "at_ms"),
)

# Trips and stops derived by the rule set (Traccar defaults).
payt_trips = Table(
    "payt_trips",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("start_latitude", Float, nullable=False),
    Column("start_longitude", Float, nullable=False),
    Column("end_latitude", Float, nullable=False),
    Column("end_longitude", Float, nullable=False),
    Column("distance_m", Float, nullable=False),
    Column("max_speed_kph", Float, nullable=False),
    Column("average_speed_kph", Float, nullable=False),
    Column("positions", Integer, nullable=False),
    Index("ix_payt_trips_vehicle_start", "vehicle_id", "start_ms"),
)

payt_stops = Table(
    "payt_stops",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    # when the stop became a stop (its first fix >= min stop duration after start) and the
    # derivation state right after that fix: a checkpoint to recompute late arrivals from (payt_0003)
    Column("confirmed_ms", BigInteger, nullable=True),
    Column("resume_state", Text, nullable=True),
    Index("ix_payt_stops_vehicle_start", "vehicle_id", "start_ms"),
)

# One summary row per vehicle per day (the client's local day): what Report/Detailed level 0
# reads, so it never scans raw positions.
payt_daily_stats = Table(
    "payt_daily_stats",
    metadata,
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("first_ignition_on_ms", BigInteger, nullable=True),
    Column("last_ignition_off_ms", BigInteger, nullable=True),
    Column("driving_seconds", Float, nullable=False, default=0.0),
    Column("idle_seconds", Float, nullable=False, default=0.0),
    Column("distance_m", Float, nullable=False, default=0.0),
    Column("max_speed_kph", Float, nullable=False, default=0.0),
    Column("journeys", Integer, nullable=False, default=0),
    Column("positions", Integer, nullable=False, default=0),
)

# Derivation bookkeeping per vehicle: positions after `derived_until_ms` are not yet folded
# into trips/stops/daily stats; `dirty_from_ms` marks a late (out-of-order) arrival that forces
# a recomputation from that time on.
payt_derivation_state = Table(
    "payt_derivation_state",
    metadata,
    Column("vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="CASCADE"), primary_key=True),
    Column("derived_until_ms", BigInteger, nullable=True),
    Column("dirty_from_ms", BigInteger, nullable=True),
    # the derivation machine's state after `derived_until_ms` (JSON, see payt/derive.py) (payt_0003)
    Column("state_json", Text, nullable=True),
)

# Positions from device ids nobody registered: refused, but counted for the operator.
payt_unknown_devices = Table(
    "payt_unknown_devices",
    metadata,
    Column("identifier", String(128), primary_key=True),
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
)

# TrackerPro tasks (TasksDataSet).
payt_tasks = Table(
    "payt_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("payt_clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("ext_id", BigInteger, nullable=True),
    Column("type", String(64), nullable=False, default=""),
    Column("name", String(255), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("grace_period_mins", Integer, nullable=False, default=0),
    Column("assigned_vehicle_id", Integer, ForeignKey("payt_vehicles.id", ondelete="SET NULL"), nullable=True),
    Column("assigned_to", String(255), nullable=False, default=""),
    Column("region_geojson", Text, nullable=False, default=""),
    Column("parameter_json", Text, nullable=False, default="{}"),
    Column("status", String(32), nullable=False, default="Pending"),
    Column("eta_ms", BigInteger, nullable=True),
)
