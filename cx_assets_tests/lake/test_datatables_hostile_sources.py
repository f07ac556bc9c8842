"""Contract: a CSV or JSONL source that cannot be read safely fails whole, naming the file, the
physical line and the reason (an unclosed or stray quote, a byte that is not UTF-8, a NUL, an
over-long field), instead of swallowing later lines into one cell or failing raw; legitimate
quoted newlines still read; `physical_rows` counts the records the file's lines hold."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cx_assets.lake.datatables_sources import (
    DEFAULT_MAX_FIELD_CHARS,
    SourceUnreadable,
    read_source_rows,
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _fails(path: Path, **kw: int) -> SourceUnreadable:
    with pytest.raises(SourceUnreadable) as caught:
        read_source_rows(path, **kw)
    assert str(path) in str(caught.value)  # the file is named
    return caught.value


def _fifty_rows() -> bytes:
    return b"".join(b"C-%d,silver,100\n" % n for n in range(3, 53))


def test_an_unclosed_quote_running_to_the_end_fails_at_the_line_it_opened(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path / "tiers.csv", b'id,tier,limit\nC-1,gold,1\nC-2,"gold,2\n' + _fifty_rows()
    )

    error = _fails(path)

    assert error.line == 3
    assert "unclosed quote" in error.reason and "end of the file (line 53)" in error.reason


def test_an_unclosed_quote_closed_by_a_later_quote_fails_instead_of_one_ragged_cell(
    tmp_path: Path,
) -> None:
    """The measured case: 50 later rows swallowed into one quarantined cell."""
    text = b'id,tier,limit\nC-1,"gold,1\n' + _fifty_rows() + b'C-99,bronze",5,6\nC-100,gold,1\n'
    path = _write(tmp_path / "tiers.csv", text)

    error = _fails(path)

    assert error.line == 2
    assert "unclosed quote" in error.reason and "runs over 52 lines to line 53" in error.reason


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (b'id,name\n1,5" screen\n2,x\n', 2, "unbalanced quote"),
        (b'id,name\n1,"5" screen\n', 2, "stray quote on line 2"),
    ],
)
def test_a_stray_quote_is_named_not_guessed(
    tmp_path: Path, text: bytes, line: int, reason: str
) -> None:
    error = _fails(_write(tmp_path / "t.csv", text))
    assert (error.line, reason in error.reason) == (line, True)


@pytest.mark.parametrize("name", ["t.csv", "t.jsonl"])
def test_a_byte_that_is_not_utf8_names_its_line_and_column(tmp_path: Path, name: str) -> None:
    rows = b'id\n1\n"caf\xe9"\n' if name == "t.csv" else b'{"id": 1}\n\n{"id": "caf\xe9"}\n'

    error = _fails(_write(tmp_path / name, rows))

    assert error.line == 3
    assert "byte 0xe9" in error.reason and "not UTF-8" in error.reason


def test_a_nul_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    error = _fails(_write(tmp_path / "t.csv", b"id,v\n1,a\x00b\n"))
    assert (error.line, error.reason) == (2, "NUL byte at column 4")


@pytest.mark.parametrize("name", ["t.csv", "t.jsonl"])
def test_an_over_long_field_names_field_line_and_limit(tmp_path: Path, name: str) -> None:
    long = b"x" * (DEFAULT_MAX_FIELD_CHARS + 1)
    rows = (
        b"id,note\n1,ok\n2," + long + b"\n" if name == "t.csv" else b'{"note": "' + long + b'"}\n'
    )

    error = _fails(_write(tmp_path / name, rows))

    assert error.line == (3 if name == "t.csv" else 1)
    assert "over-long field: field 'note'" in error.reason
    assert f"limit of {DEFAULT_MAX_FIELD_CHARS} characters" in error.reason


def test_a_field_past_the_csv_modules_own_limit_is_an_over_long_field(tmp_path: Path) -> None:
    """An unclosed quote in a big file runs into csv's field_size_limit first."""
    path = _write(tmp_path / "t.csv", b'id,note\n1,"' + b"x,y\n" * 40_000)

    error = _fails(path)

    assert error.line == 2 and "over-long field" in error.reason


def test_the_field_limit_is_a_setting_and_may_be_raised(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", b"id,note\n1," + b"x" * 150_000 + b"\n")

    assert len(read_source_rows(path, max_field_chars=200_000).rows[0]["note"]) == 150_000
    assert "limit of 10 characters" in _fails(path, max_field_chars=10).reason


def test_an_unterminated_jsonl_string_fails_instead_of_quarantining(tmp_path: Path) -> None:
    error = _fails(_write(tmp_path / "t.jsonl", b'{"id": 1}\n{"id": "C-2}\n{"id": 3}\n'))
    assert error.line == 2 and "unclosed quote" in error.reason


def test_physical_rows_count_records_as_the_lines_delimit_them(tmp_path: Path) -> None:
    csv_path = _write(
        tmp_path / "t.csv",
        b'id,address\n1,"1 Main St\nSpringfield"\n\n2,plain\n3\n4,"a ""quoted""\n\nword"\n',
    )
    source = read_source_rows(csv_path)
    assert source.physical_rows == 4  # 8 data lines: 3 continue a quoted field, 1 is blank
    assert [r["address"] for r in source.rows] == [
        "1 Main St\nSpringfield",
        "plain",
        'a "quoted"\n\nword',
    ]
    assert len(source.unreadable) == 1  # the ragged one-field record, quarantined

    jsonl = _write(tmp_path / "t.jsonl", b'{"a": 1}\n\n[1]\n{oops\n{"a": 2}\n')
    assert read_source_rows(jsonl).physical_rows == 4

    parquet = tmp_path / "t.parquet"
    pl.DataFrame({"a": [1, 2, 3]}).write_parquet(parquet)
    assert read_source_rows(parquet).physical_rows == 3
