"""Contract: the platform data table CSV. What `write_import_csv` writes, `export_csv_to_parquet`
reads back to the same typed values (quotes, commas, line breaks inside cells, unicode, a BOM,
numbers without an exponent); an export's cells are typed by the schema, never guessed, and a
row that does not type is quarantined with its row number, key, field and reason while the rest
land; a header maps by name, then by title in any case; a file that cannot be read at all is a
`CsvFormatError` and writes nothing."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest

from cx_assets.genesys.datatables.platform_csv import CsvFormatError, export_csv_to_parquet
from cx_assets.genesys.datatables.platform_csv_write import write_import_csv
from cx_assets.genesys.datatables.platform_schema import parse_schema

TABLE = parse_schema(
    {
        "properties": {
            "key": {"title": "Skill", "type": "string"},
            "queue": {"title": "Queue", "type": "string", "displayOrder": 1},
            "proficiency": {"title": "Proficiency", "type": "integer", "displayOrder": 2},
            "weight": {"title": "Weight", "type": "number", "displayOrder": 3},
            "active": {"title": "Active", "type": "boolean", "displayOrder": 4},
        }
    },
    table_id="t-4",
    table_name="Routing Skills",
)
ROWS = [
    {
        "key": 'a "quoted", key',
        "queue": "Q, with comma",
        "proficiency": 1,
        "weight": 0.5,
        "active": True,
    },
    {
        "key": "multi\r\nline",
        "queue": "first\nsecond\rthird",
        "proficiency": -3,
        "weight": 1e-05,
        "active": False,
    },
    {
        "key": "ünïcødé ✓ 日本",
        "queue": "\ufeffstarts with a BOM",
        "proficiency": 2**62,
        "weight": 1e20,
        "active": None,
    },
    {"key": "nulls", "queue": None, "proficiency": None, "weight": None, "active": None},
    {
        "key": "  spaced  ",
        "queue": "  kept as is  ",
        "proficiency": 0,
        "weight": -2.25,
        "active": True,
    },
]


def round_trip(tmp_path: Path, bom: bool) -> tuple[bytes, list[dict], object]:
    csv_path = tmp_path / "in.csv"
    assert write_import_csv(ROWS, TABLE, csv_path) == len(ROWS)
    if bom:
        csv_path.write_bytes(codecs.BOM_UTF8 + csv_path.read_bytes())
    parsed = export_csv_to_parquet(csv_path, TABLE, tmp_path / "out.parquet", batch_rows=2)
    return csv_path.read_bytes(), pl.read_parquet(parsed.path).rows(named=True), parsed


@pytest.mark.parametrize("bom", [False, True])
def test_what_the_import_writer_writes_reads_back_the_same(tmp_path: Path, bom: bool) -> None:
    raw, rows, parsed = round_trip(tmp_path, bom)
    assert rows == ROWS
    assert parsed.rows == len(ROWS) and parsed.quarantined == []  # type: ignore[attr-defined]
    assert raw.startswith(
        (codecs.BOM_UTF8 if bom else b"") + b"key,queue,proficiency,weight,active\r\n"
    )
    assert b"0.00001" in raw and b"100000000000000000000" in raw and b"e-05" not in raw
    assert b'"a ""quoted"", key"' in raw


def test_the_writer_limits_the_header_to_the_columns_given(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    write_import_csv(
        [{"key": "k", "weight": 2.0, "queue": "ignored"}], TABLE, path, columns=["weight"]
    )
    assert path.read_bytes() == b"key,weight\r\nk,2\r\n"
    with pytest.raises(ValueError, match=r"columns \['colour'\] are not in the table"):
        write_import_csv([], TABLE, path, columns=["colour"])


def test_cells_that_do_not_type_are_quarantined_and_the_rest_land(tmp_path: Path) -> None:
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(
        "Skill,QUEUE,proficiency,weight,active,extra\r\n"
        "ok-1,Q,3,1.5,TRUE,x\r\n"
        "bad-int,Q,high,1,true,x\r\n"
        ",Q,1,1,true,x\r\n"
        "bad-bool,Q,1,1,maybe,x\r\n"
        "short,Q\r\n"
        "\r\n"
        "ok-2,Q,4.0,,0,x\r\n",
        encoding="utf-8",
    )
    parsed = export_csv_to_parquet(csv_path, TABLE, tmp_path / "out.parquet")
    assert pl.read_parquet(parsed.path).rows() == [
        ("ok-1", "Q", 3, 1.5, True),
        ("ok-2", "Q", 4, None, False),
    ]
    assert [(q.row_number, q.key, q.field) for q in parsed.quarantined] == [
        (2, "bad-int", "proficiency"),
        (3, None, "key"),
        (4, "bad-bool", "active"),
        (5, "short", None),
    ]
    reasons = [q.reason for q in parsed.quarantined]
    assert reasons[0] == "field 'proficiency': expected integer (int64, no fraction), got 'high'"
    assert reasons[3] == "the row has 2 cell(s), the header 6"
    assert parsed.quarantined[0].row["proficiency"] == "high"  # the value as it arrived
    assert parsed.ignored_columns == ("extra",) and parsed.missing_columns == ()


def test_a_column_the_file_lacks_is_all_null(tmp_path: Path) -> None:
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("key,weight\nk1,0.25\n")
    parsed = export_csv_to_parquet(csv_path, TABLE, tmp_path / "out.parquet")
    assert parsed.missing_columns == ("queue", "proficiency", "active")
    assert pl.read_parquet(parsed.path).row(0, named=True) == {
        "key": "k1", "queue": None, "proficiency": None, "weight": 0.25, "active": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty (no header line)"),
        (b"queue,weight\r\nQ,1\r\n", "has no 'key' column"),
        (b"key,Queue,queue\r\nk,a,b\r\n", "header names property 'queue' twice"),
        (b"key,queue\r\nk,caf\xe9\r\n", "unreadable"),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(
    tmp_path: Path, content: bytes, says: str
) -> None:
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(content)
    with pytest.raises(CsvFormatError) as err:
        export_csv_to_parquet(csv_path, TABLE, tmp_path / "out" / "t.parquet")
    assert str(err.value).startswith("data table 'Routing Skills' (t-4): export.csv ")
    assert says in str(err.value)
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []
