"""CSV parsing for contact imports: any line ending, and a clear error for broken files."""

from __future__ import annotations

import pytest

from gateway.contact_directory import parse_csv
from gateway.errors import ValidationError


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_reads_the_same(newline: str) -> None:
    text = newline.join(["number,first_name", "+14155550101,Maria", "+14155550102,Tom"])
    rows = parse_csv(text, "US")
    assert [(row.number, row.first_name, row.error) for row in rows] == [
        ("+14155550101", "Maria", None),
        ("+14155550102", "Tom", None),
    ]


def test_a_file_without_a_number_column_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_csv("0000321\rW", "US")
    assert raised.value.field == "file"


def test_a_file_the_csv_reader_cannot_read_is_a_validation_error() -> None:
    huge_field = "x" * 200_000  # beyond the csv module's field size limit
    with pytest.raises(ValidationError, match="not a readable CSV file"):
        parse_csv(f"number,note\n+14155550101,{huge_field}\n", "US")
