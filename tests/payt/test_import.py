"""`polytrack payt import` for CSV and GPX: columns, bad rows, duplicates, derivation."""

import json

import pytest
from sqlalchemy import select

from polytrack.cli import main as cli_main
from polytrack.payt import importer
from polytrack.payt.tables import payt_positions, payt_trips
from tests.payt.fleetkit import derived, drive, make_client, make_vehicle, route_length_m, stay

pytestmark = pytest.mark.usefixtures("services")

ROUTE = [(51.5007, -0.1246), (51.5079, -0.1228), (51.5110, -0.1147), (51.5138, -0.0920)]
T0 = 1717999200


@pytest.fixture
def vehicle(services):
    return make_vehicle(services, make_client(services), "gps-1", registration="AB12 CDE")


def journey():
    fixes = stay(ROUTE[0], start_t=T0, seconds=600)
    fixes += drive(ROUTE, start_t=fixes[-1].t + 30, speed_kph=40)
    return fixes + stay(ROUTE[-1], start_t=fixes[-1].t + 30, seconds=600)


def write_csv(path, fixes, device="gps-1"):
    lines = ["device,timestamp,lat,lon,speed,heading"]
    lines += [f"{device},{f.t},{f.lat:.7f},{f.lon:.7f},{f.speed_kph},90" for f in fixes]
    path.write_text("\n".join(lines) + "\n")
    return path


def stored(services, vehicle_id):
    with services.engine.connect() as conn:
        return conn.execute(select(payt_positions).where(payt_positions.c.vehicle_id == vehicle_id)
                            .order_by(payt_positions.c.fix_ms)).all()


def test_csv_import_stores_and_derives(services, vehicle, tmp_path):
    report = importer.import_file(services, write_csv(tmp_path / "day.csv", journey()))
    assert (report.rows, report.imported, report.bad_rows, report.vehicles) == (len(journey()), len(journey()), 0, 1)
    rows = stored(services, vehicle)
    assert rows[0].speed_kph == 0 and rows[5].heading == 90
    with services.engine.connect() as conn:
        (trip,) = derived(conn, vehicle)["trips"]
    assert abs(trip[6] - route_length_m(ROUTE)) / route_length_m(ROUTE) < 0.01


def test_reimport_counts_duplicates_and_changes_nothing(services, vehicle, tmp_path):
    path = write_csv(tmp_path / "day.csv", journey())
    importer.import_file(services, path)
    with services.engine.connect() as conn:
        before = derived(conn, vehicle)
    report = importer.import_file(services, path)
    assert report.imported == 0 and report.duplicates == len(journey())
    with services.engine.connect() as conn:
        assert derived(conn, vehicle) == before


def test_import_between_live_fixes_equals_in_order(services, vehicle, tmp_path, http):
    fixes = journey()
    for fix in fixes[::2]:
        http.get("/osmand", params=fix.params("gps-1"))
    importer.import_file(services, write_csv(tmp_path / "rest.csv", fixes[1::2]))
    reference = make_vehicle(services, make_client(services, "ref"), "gps-ref")
    for fix in fixes:  # the same fixes over the same path (the protocol rounds speeds in knots)
        http.get("/osmand", params=fix.params("gps-ref" if fix in fixes[::2] else "nobody"))
    importer.import_file(services, write_csv(tmp_path / "rest-ref.csv", fixes[1::2], device="gps-ref"))
    with services.engine.connect() as conn:
        assert derived(conn, vehicle) == derived(conn, reference)


def test_bad_rows_are_reported_and_skipped(services, vehicle, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "Device,Time,Latitude,Longitude,Speed_kn,Ignition\n"
        "gps-1,2024-06-10T06:00:00Z,51.5,-0.12,10,1\n"
        "gps-1,2024-06-10 06:00:10,51.5,-0.12,,0\n"
        "gps-1,1717999220000,999,-0.12,1,1\n"
        "gps-1,soon,51.5,-0.12,1,1\n"
        "gps-1,1717999240,51.5,abc,1,1\n"
        "gps-1,1717999250,51.5,-0.12,fast,1\n"
        "gps-1,1717999260,51.5,-0.12,1,maybe\n"
        "stranger,1717999270,51.5,-0.12,1,1\n"
        "gps-1,1717999280\n"
        "\n"
        "gps-1,1717999290,51.5,-0.12,-1,true\n")
    report = importer.import_file(services, path)
    assert (report.rows, report.imported, report.bad_rows) == (10, 3, 7)
    assert report.errors[0].startswith("line 4:") and "unknown device 'stranger'" in " ".join(report.errors)
    rows = stored(services, vehicle)
    assert [r.speed_kph for r in rows] == [pytest.approx(18.52), None, None]  # knots column; -1 = unknown
    assert [r.ignition for r in rows] == [1, 0, 1]


def test_vehicle_column_by_registration_or_id(services, vehicle, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(f"vehicle,timestamp,lat,lon\nAB12 CDE,{T0},51.5,-0.1\n{vehicle},{T0 + 10},51.5,-0.1\n"
                    f"XX99 XXX,{T0 + 20},51.5,-0.1\n")
    report = importer.import_file(services, path)
    assert report.imported == 2 and report.bad_rows == 1  # all digits = vehicle id, else registration
    assert [r.device_id for r in stored(services, vehicle)] == [1, 1]


@pytest.mark.parametrize("content,message", [
    ("", "empty"),
    ("device,lat,lon\ngps-1,1,2\n", "lacks column(s): time"),
    ("timestamp,lat,lon\n1717999200,1,2\n", "--device"),
])
def test_unusable_csv_files(services, vehicle, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(importer.ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        importer.import_file(services, path)


def test_csv_with_device_flag(services, vehicle, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(f"timestamp,lat,lon\n{T0},51.5,-0.1\n")
    assert importer.import_file(services, path, device="gps-1").imported == 1


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">
 <trk><name>Morning</name><trkseg>
{points}
  <trkpt lat="91" lon="0"><time>2024-06-10T06:30:00Z</time></trkpt>
  <trkpt lat="51.5" lon="-0.1"></trkpt>
 </trkseg></trk>
</gpx>
"""


def test_gpx_import(services, vehicle, tmp_path):
    from datetime import datetime, timezone

    points = []
    for fix in journey():
        when = datetime.fromtimestamp(fix.t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        speed = f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>{fix.speed_kph / 3.6:.4f}</gpxtpx:speed>" \
                f"</gpxtpx:TrackPointExtension></extensions>"
        points.append(f'  <trkpt lat="{fix.lat:.7f}" lon="{fix.lon:.7f}"><ele>12.5</ele><time>{when}</time>{speed}</trkpt>')
    path = tmp_path / "track.gpx"
    path.write_text(GPX.format(points="\n".join(points)))
    report = importer.import_file(services, path, device="gps-1")
    assert (report.imported, report.bad_rows) == (len(journey()), 2)
    rows = stored(services, vehicle)
    assert rows[-1].altitude == 12.5 and max(r.speed_kph for r in rows) == pytest.approx(40, abs=0.01)
    with services.engine.connect() as conn:
        assert len(conn.execute(select(payt_trips).where(payt_trips.c.vehicle_id == vehicle)).all()) == 1


def test_broken_gpx_and_gpx_without_device(services, vehicle, tmp_path):
    path = tmp_path / "x.gpx"
    path.write_text("<gpx><trk><trkseg><trkpt lat='1'")
    with pytest.raises(importer.ImportFailed, match="not well-formed"):
        importer.import_file(services, path, device="gps-1")
    with pytest.raises(importer.ImportFailed, match="--device"):
        importer.import_file(services, path)


def test_cli_import(services, vehicle, tmp_path, capsys):
    path = write_csv(tmp_path / "day.csv", journey())
    assert cli_main(["payt", "import", str(path), "--quiet", "--db", services.settings.db]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == len(journey())
    assert cli_main(["payt", "import", str(tmp_path / "missing.csv"), "--db", services.settings.db]) == 2
    assert cli_main(["payt", "rederive", "--db", services.settings.db]) == 0
