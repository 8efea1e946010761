"""The hot path's rendering shortcuts give exactly what the general code would."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from polytrack.kernel.render import Raw, to_json
from polytrack.payt import datasets, wire
from polytrack.payt.datasets import Column, DataTable, DateFormat, TableSchema

SCHEMA = TableSchema("T", [0, 2], (
    Column("Id", "number", autoincrement=True), Column("Text", "string"), Column("When", "datetime"),
    Column("Flag", "boolean"), Column("Other", "datetime"),
))

TRICKY_TEXTS = [
    "", "plain", 'quote " and \\ backslash', "nul \x00 inside", "]\x00[", "] [", "[", "]", ",", "},{\"v\":",
    "ünïcødé ✓ 漢字", "\u2028 line separator", "tab\tnewline\n", "new Date(5)", "\ud83d\ude00 emoji",
]


def general(schema: TableSchema, rows: list[list], dates: DateFormat) -> str:
    """The rendering the shortcuts replace: cell objects through kernel.render.to_json."""
    return to_json([
        {"c": [{"v": dates(v) if i in schema.date_indexes else v} for i, v in enumerate(cells)]}
        for cells in rows
    ])


def rows_for(texts):
    when = datetime(2024, 6, 10, 8, 0, 0, 123000, tzinfo=timezone.utc)
    values = [(1, True, 1718006400000), (-2, False, None), (2**53 + 1, None, when), (0, True, 0)]
    return [
        [values[n % 4][0], text, values[n % 4][2], values[n % 4][1], None if n % 2 else 1718000000000 + n]
        for n, text in enumerate(texts)
    ]


@pytest.mark.parametrize("dates", [DateFormat(None), DateFormat("o"), DateFormat(None, quoted=True)],
                         ids=["new-date", "iso", "quoted"])
def test_rows_json_matches_general_rendering(dates):
    rows = rows_for(TRICKY_TEXTS)
    assert datasets.rows_json(SCHEMA, rows, dates) == general(SCHEMA, rows, dates)
    assert datasets.rows_json(SCHEMA, rows[:1], dates) == general(SCHEMA, rows[:1], dates)
    # epoch milliseconds only (what the tables store): the default format's shortcut
    ms_only = [row for row in rows if not isinstance(row[2], datetime)]
    assert len(ms_only) < len(rows) and any(row[2] is None for row in ms_only)
    ms_only.append([7, "negative", -1000, False, -1])
    assert datasets.rows_json(SCHEMA, ms_only, dates) == general(SCHEMA, ms_only, dates)
    assert datasets.rows_json(SCHEMA, [], dates) == "[]"


def test_rows_json_without_datetime_columns_and_odd_numbers():
    schema = TableSchema("N", [0], (Column("A", "number"), Column("B", "string"), Column("C", "number")))
    rows = [[1.5, text, float("nan") if n == 3 else n / 3] for n, text in enumerate(TRICKY_TEXTS)]
    rows.append([Decimal("2.25"), None, 10**20])
    assert datasets.rows_json(schema, rows, DateFormat(None)) == general(schema, rows, DateFormat(None))


def test_a_raw_fragment_outside_datetime_columns_takes_the_general_way():
    rows = [[1, Raw("new Date(7)"), 5, True, None]]
    assert datasets.rows_json(SCHEMA, rows, DateFormat(None)) == general(SCHEMA, rows, DateFormat(None))


def test_dataset_and_envelope_text_match_the_dict_rendering():
    dates = DateFormat(None)
    rows = rows_for(TRICKY_TEXTS[:5])
    payload = datasets.dataset("Set \"x\"", [DataTable(SCHEMA, rows), DataTable(SCHEMA, [])], dates)
    as_dict = {"datasetname": "Set \"x\"", "tables": [
        {"cols": [{"id": str(i), "label": c.label, "type": c.type, "p": {"autoincrement": True} if c.autoincrement else {}}
                  for i, c in enumerate(SCHEMA.columns)],
         "rows": [{"c": [{"v": dates(v) if i in SCHEMA.date_indexes else v} for i, v in enumerate(cells)]} for cells in table_rows],
         "p": {"tablename": "T", "primarykey": [0, 2]}}
        for table_rows in (rows, [])
    ]}
    assert payload.text == to_json(as_dict)
    for req_id in (None, "", "q-1", "ü \"x\""):
        assert wire.ok_envelope_json(req_id, "dataset", payload) == to_json(wire.ok_envelope(req_id, "dataset", as_dict))
    assert wire.ok_envelope_json("1", "value", "ssid", sig="") == to_json(wire.ok_envelope("1", "value", "ssid", sig=""))


