"""Contract: a CSV data page reads into the records a JSON page holds (numbers typed back, empty
cells absent, BOM/CRLF/quoting ignored), and a page that is not CSV with a header fails naming
what arrived, never a cell's value."""

from __future__ import annotations

import pytest

from cx_assets.cxone.csv_pages import CsvPageError, read_csv_page


def test_bom_crlf_and_quoted_cells_read_as_plain_ones() -> None:
    plain = b"id,holdTime,agentId,medium\n7,12.5,1007,voice\n8,,x,\n"
    fancy = b'\xef\xbb\xbf"id","holdTime","agentId","medium"\r\n"7","12.5","1007","voice"\r\n'
    fancy += b'"8","","x",""\r\n'
    expected = [
        {"id": "7", "holdTime": 12.5, "agentId": "1007", "medium": "voice"},
        {"id": "8", "agentId": "x"},
    ]
    assert read_csv_page(plain) == read_csv_page(fancy) == expected


def test_whole_seconds_stay_integers_and_bad_numbers_stay_text() -> None:
    records = read_csv_page(b"talkTime,wrapTime,holdTime\n30,inf,soon\n")
    assert records == [{"talkTime": 30, "wrapTime": "inf", "holdTime": "soon"}]


@pytest.mark.parametrize("page", [b"", b"\xef\xbb\xbf", b"id,medium\r\n", b"\r\n\r\n"])
def test_a_page_with_no_rows_holds_no_records(page: bytes) -> None:
    assert read_csv_page(page) == []


@pytest.mark.parametrize(
    ("page", "named"),
    [
        (b"id,medium\n1,voice,secret-extra\n", "row 2 has 3 cell(s) for 2 column(s)"),
        (b"id,id\n1,2\n", "empty or repeated column names"),
        (b"\xff\xfe\x00i\x00d", "not UTF-8"),
    ],
)
def test_a_page_that_is_not_csv_with_a_header_is_named(page: bytes, named: str) -> None:
    with pytest.raises(CsvPageError) as excinfo:
        read_csv_page(page)
    assert named in str(excinfo.value)
    assert "secret-extra" not in str(excinfo.value)
