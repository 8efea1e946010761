"""PAYT datasets (Google-Visualization-like tables) rendered as JSON text.

A dataset is `{"datasetname": ..., "tables": [{"cols": [...], "rows": [...], "p": {...}}]}`.
Each table's columns and key are rendered once, when its `TableSchema` is defined
(operations/schemas.py); a request renders only its rows, in one encoder call (`rows_json`).
Datetime cells follow `DateFormat`: the unquoted JavaScript `new Date(ms)` by default, .NET
round-trip text with `dtm=o`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from json.encoder import encode_basestring

from polytrack.kernel.dates import dotnet_roundtrip, epoch_ms
from polytrack.kernel.render import Raw, to_json

# A str as to_json writes it (json.dumps(..., ensure_ascii=False) calls this very function).
json_string = encode_basestring


@dataclass(frozen=True)
class Column:
    label: str
    type: str  # number | string | datetime | boolean
    autoincrement: bool = False
    decimals: int | None = None  # a measured number: rendered rounded to this many decimals


class TableSchema:
    """One dataset table's name, key and columns, with their rendering done once (when the
    operation modules define their schemas), so a request renders only its rows."""

    __slots__ = ("tablename", "primarykey", "columns", "labels", "cols_json", "p_json", "date_indexes", "rounded")

    def __init__(self, tablename: str, primarykey: list[int], columns: tuple[Column, ...]):
        self.tablename = tablename
        self.primarykey = list(primarykey)
        self.columns = tuple(columns)
        self.labels = tuple(c.label for c in self.columns)
        self.cols_json = to_json([
            {"id": str(i), "label": c.label, "type": c.type, "p": {"autoincrement": True} if c.autoincrement else {}}
            for i, c in enumerate(self.columns)
        ])
        self.p_json = to_json({"tablename": tablename, "primarykey": self.primarykey})
        self.date_indexes = tuple(i for i, c in enumerate(self.columns) if c.type == "datetime")
        self.rounded = tuple((i, c.decimals) for i, c in enumerate(self.columns) if c.decimals is not None)


@dataclass
class DataTable:
    schema: TableSchema
    rows: list[list] = field(default_factory=list)  # cells in the schema's column order


class DateFormat:
    """Cells of datetime columns: `new Date(ms)` unquoted by default, .NET "o" text with dtm=o.

    Cells may hold an aware datetime or integer epoch milliseconds (what the tables store).
    `quoted` is the server-side switch (`payt.quote_dates`) for clients that need strict JSON.
    """

    def __init__(self, dtm: str | None, *, quoted: bool = False):
        self.iso = (dtm or "").strip().lower() == "o"
        self.quoted = quoted
        # the default: epoch milliseconds written as the bare JavaScript `new Date(ms)`
        self.bare_ms = not self.iso and not quoted

    def __call__(self, value: datetime | int | None):
        if value is None:
            return None
        if self.iso:
            if not isinstance(value, datetime):
                value = datetime.fromtimestamp(value / 1000.0, timezone.utc)
            return dotnet_roundtrip(value)
        ms = value if isinstance(value, int) else epoch_ms(value)
        text = f"new Date({ms})"
        return text if self.quoted else Raw(text)

    def json_text(self, value: datetime | int | None) -> str:
        """The cell as it appears in the JSON output."""
        cell = self(value)
        if cell is None:
            return "null"
        return cell.text if isinstance(cell, Raw) else json_string(cell)


# Rows are most of a dataset's JSON, and json.dumps is slow on its many one-member cell objects
# ({"v": ...}, ~0.3 µs each). So the cells of a table are encoded in one call as plain lists with
# NUL as the item separator (JSON escapes NUL inside strings as \u0000, so in the output a NUL
# can only be a separator), and the text is then cut at the NULs and wrapped: the same bytes
# json.dumps would write for the cell objects, at a third of the cost.
_SEPARATOR = "\0"
_ROW_SEPARATOR = "]\0["  # between two rows: no cell's text ends with "]" or starts with "["
_encode_cells = json.JSONEncoder(
    separators=(_SEPARATOR, ":"), ensure_ascii=False, check_circular=False,
    default=lambda value: float(value) if isinstance(value, Decimal) else _unencodable(value),
).encode


def _unencodable(value):
    raise TypeError(f"not a JSON cell: {type(value).__name__}")


def rows_json(schema: TableSchema, rows: list[list], dates: DateFormat) -> str:
    """`to_json([{"c": [{"v": cell}, ...]}, ...])` for one table's rows, datetime cells
    rendered by `dates`."""
    if not rows:
        return "[]"
    date_indexes = schema.date_indexes
    try:
        if not date_indexes:
            text = _encode_cells(rows)[2:-2]
            return '[{"c":[{"v":' + text.replace(_ROW_SEPARATOR, '}]},{"c":[{"v":').replace(_SEPARATOR, '},{"v":') + "}]}]"
        if dates.bare_ms and all(type(cells[i]) is int or cells[i] is None for cells in rows for i in date_indexes):
            # The common case: `new Date(ms)` is the encoded number with a prefix and a suffix.
            rendered = []
            for row_text in _encode_cells(rows)[2:-2].split(_ROW_SEPARATOR):
                parts = row_text.split(_SEPARATOR)
                for i in date_indexes:
                    if parts[i] != "null":
                        parts[i] = "new Date(" + parts[i] + ")"
                rendered.append('{"c":[{"v":' + '},{"v":'.join(parts) + "}]}")
            return "[" + ",".join(rendered) + "]"
        # Otherwise datetime cells go through the encoder as null and are put in afterwards.
        plain, dated = [], []
        for cells in rows:
            dated.append([dates.json_text(cells[i]) for i in date_indexes])
            cells = list(cells)
            for i in date_indexes:
                cells[i] = None
            plain.append(cells)
        text = _encode_cells(plain)[2:-2]
    except TypeError:  # a cell only to_json can write (a Raw fragment): the general way
        return to_json([{"c": [{"v": dates(v) if i in date_indexes else v} for i, v in enumerate(cells)]} for cells in rows])
    rendered = []
    for row_text, date_texts in zip(text.split(_ROW_SEPARATOR), dated):
        parts = row_text.split(_SEPARATOR)
        for i, cell_text in zip(date_indexes, date_texts):
            parts[i] = cell_text
        rendered.append('{"c":[{"v":' + '},{"v":'.join(parts) + "}]}")
    return "[" + ",".join(rendered) + "]"


def dataset(name: str, tables: list[DataTable], dates: DateFormat) -> Raw:
    """The dataset as JSON text (a `Raw` payload: rendered once, see `ok_envelope_json`); each
    table's columns and key were rendered when its schema was defined, so only rows are new."""
    rendered = [
        f'{{"cols":{table.schema.cols_json},"rows":{rows_json(table.schema, table.rows, dates)},"p":{table.schema.p_json}}}'
        for table in tables
    ]
    return Raw(f'{{"datasetname":{json_string(name)},"tables":[{",".join(rendered)}]}}')


def table(schema: TableSchema, rows: list[dict]) -> DataTable:
    """A table of `schema` from rows given as dicts keyed by column label (a label a row lacks
    is null); measured numbers rounded as their columns say (a float computed from a device's
    unit, 5.4 knots = 10.000800000000002 km/h, is rendered 10.0)."""
    labels = schema.labels
    cells = [list(map(row.get, labels)) for row in rows]
    for i, decimals in schema.rounded:
        for row_cells in cells:
            value = row_cells[i]
            if value is not None:
                row_cells[i] = round(value, decimals)
    return DataTable(schema, cells)
