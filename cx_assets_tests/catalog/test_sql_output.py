"""Contract: `cx-assets sql` prints a readable table, writes csv/json/parquet that read back to
the same rows, is read-only unless `--write`, and without a query reads statements from stdin
(an interactive prompt on a terminal)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pytest

from cx_assets.catalog import QueryResult, query, write_transaction
from cx_assets.catalog.sql_output import render_table, write_result
from cx_assets.catalog_cli import sql_command

ROWS = QueryResult(
    ("day", "channel", "n", "note"),
    [
        (dt.date(2024, 3, 1), "voice", 17, None),
        (dt.date(2024, 3, 2), "chat", 9, 'a, "quoted"\nline'),
    ],
)


@pytest.fixture
def catalog(catalog_path: Path) -> Path:
    with write_transaction(catalog_path) as con:
        con.execute(
            "CREATE TABLE calls AS SELECT * FROM (VALUES (DATE '2024-03-01', 'voice', 17),"
            " (DATE '2024-03-02', 'chat', 9)) t(day, channel, n)"
        )
    return catalog_path


def _sql(catalog: Path, *argv: str, stdin: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = sql_command(
        ["--catalog", str(catalog), *argv],
        stdin=io.StringIO(stdin) if stdin is not None else None,
        stdout=out,
    )
    return code, out.getvalue()


def test_table_is_boxed_aligned_and_counted() -> None:
    text = render_table(ROWS)
    lines = text.splitlines()
    assert lines[1] == "| day        | channel | n  | note              |"
    assert "| 2024-03-01 | voice   | 17 | NULL              |" in lines
    assert '| 2024-03-02 | chat    |  9 | a, "quoted"\\nline |' in lines  # numbers right-aligned
    assert lines[-1] == "(2 rows)"
    assert len({len(line) for line in lines[:-1]}) == 1  # every table line has the same width


def test_long_results_say_how_many_were_shown() -> None:
    result = QueryResult(("i",), [(i,) for i in range(250)])
    assert render_table(result, max_rows=10).splitlines()[-1] == "(250 rows, first 10 shown)"


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_written_files_read_back_to_the_same_rows(tmp_path: Path, fmt: str) -> None:
    path = write_result(ROWS, tmp_path / f"out.{fmt}", fmt)  # type: ignore[arg-type]
    if fmt == "csv":
        rows = list(csv.reader(path.open(newline="")))
        assert rows[0] == ["day", "channel", "n", "note"]
        assert rows[2] == ["2024-03-02", "chat", "9", 'a, "quoted"\nline']
        assert rows[1][3] == ""
    elif fmt == "json":
        data = json.loads(path.read_text())
        assert data[0] == {"day": "2024-03-01", "channel": "voice", "n": 17, "note": None}
    else:
        frame = pl.read_parquet(path)
        assert frame.columns == ["day", "channel", "n", "note"]
        assert frame.row(1) == (dt.date(2024, 3, 2), "chat", 9, 'a, "quoted"\nline')
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_cli_prints_a_table(catalog: Path) -> None:
    code, out = _sql(catalog, "SELECT channel, n FROM calls ORDER BY n DESC")
    assert code == 0
    assert "| voice   | 17 |" in out and out.rstrip().endswith("(2 rows)")


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_cli_writes_each_format(catalog: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / "export" / f"calls.{fmt}"
    code, out = _sql(
        catalog, "SELECT * FROM calls ORDER BY day", "--format", fmt, "--output", str(target)
    )
    assert code == 0 and f"2 rows written to {target}" in out
    if fmt == "parquet":
        assert pl.read_parquet(target)["n"].to_list() == [17, 9]
    elif fmt == "json":
        assert [r["n"] for r in json.loads(target.read_text())] == [17, 9]
    else:
        assert target.read_text().splitlines()[1] == "2024-03-01,voice,17"


def test_cli_csv_to_stdout(catalog: Path) -> None:
    code, out = _sql(catalog, "SELECT channel FROM calls ORDER BY 1", "--format", "csv")
    assert (code, out) == (0, "channel\nchat\nvoice\n")


def test_read_only_unless_write(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _sql(catalog, "DELETE FROM calls")
    assert code == 1
    assert "add --write" in capsys.readouterr().err
    assert query(catalog, "SELECT count(*) FROM calls").rows == [(2,)]
    assert _sql(catalog, "DELETE FROM calls WHERE n = 9", "--write")[0] == 0
    assert query(catalog, "SELECT count(*) FROM calls").rows == [(1,)]


def test_parquet_to_stdout_is_refused(catalog: Path) -> None:
    assert _sql(catalog, "SELECT 1", "--format", "parquet")[0] == 2


def test_no_query_reads_statements_from_stdin(catalog: Path) -> None:
    code, out = _sql(
        catalog, stdin="SELECT count(*) AS n\nFROM calls;\nSELECT 42 AS answer;\n.quit\n"
    )
    assert code == 0
    assert "| n |" in out and "| 2 |" in out and "|     42 |" in out


def test_parquet_output_keeps_duckdb_types_and_leaves_no_temp_file(
    catalog: Path, tmp_path: Path
) -> None:
    target = tmp_path / "typed.parquet"
    sql = "SELECT day, n::DECIMAL(10, 2) AS amount FROM calls ORDER BY day"
    code, out = _sql(catalog, sql, "--output", str(target))
    assert code == 0 and "2 rows written" in out
    schema = pl.read_parquet_schema(target)
    assert schema["day"] == pl.Date and schema["amount"] == pl.Decimal(10, 2)
    assert not list(tmp_path.glob(".*.tmp"))
