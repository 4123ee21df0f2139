"""Writing rows as CSV and as XLSX, in constant memory.

CSV is produced row by row (a generator the response streams): UTF-8 with a byte-order mark so
that Excel reads Cyrillic and å/ä/ö correctly, comma-separated, or semicolon-separated for Excel
set up for Swedish (which takes the comma as the decimal sign). A cell that a spreadsheet would
read as a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with an apostrophe (OWASP's
advice against CSV injection); numbers and dates are written as such and never need it.

XLSX is written with XlsxWriter in ``constant_memory`` mode (each row goes to a temporary file as
soon as the next begins) into a temporary file that the response then streams: typed cells
(numbers as numbers, dates as dates), a bold header row in the reader's language, frozen, with
the filter buttons on.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter

from portal.exports.tables import Cell

BOM = "\ufeff"
DELIMITERS = {"comma": ",", "semicolon": ";"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024


class _Line:
    """A file-like object that keeps what ``csv.writer`` last wrote."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, value: str) -> int:
        self.value = value
        return len(value)


def csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int):
        return value
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(headers: list[str], rows: Iterable[list[Cell]], delimiter: str) -> Iterator[str]:
    """The CSV file, line by line, the byte-order mark first."""
    line = _Line()
    writer = csv.writer(line, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    yield BOM + line.value
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        yield line.value


def xlsx_file(
    headers: list[str], rows: Iterable[list[Cell]], sheet_name: str, date_format: str
) -> IO[bytes]:
    """The workbook in a temporary file, rewound; the caller streams and closes it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": date_format,
        },
    )
    sheet = workbook.add_worksheet(_sheet_title(sheet_name))
    bold = workbook.add_format({"bold": True})
    dates = workbook.add_format({"num_format": date_format})
    sheet.write_row(0, 0, headers, bold)
    sheet.freeze_panes(1, 0)
    widths = [max(len(h), 10) for h in headers]
    last = 0
    for last, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            _write(sheet, last, col, value, dates)
            if isinstance(value, str) and len(value) > widths[col] and last <= 200:
                widths[col] = min(len(value), 60)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width + 2)
    sheet.autofilter(0, 0, last, len(headers) - 1)
    workbook.close()
    out.seek(0)
    return out


def _write(sheet: Any, row: int, col: int, value: Cell, dates: Any) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), dates)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, dates)
    elif isinstance(value, bool | int):
        sheet.write_number(row, col, int(value))
    else:
        sheet.write_string(row, col, value)


def _sheet_title(name: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(ch for ch in name if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet1"


def chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes in pieces, closing (and so deleting) it at the end."""
    try:
        while piece := file.read(CHUNK):
            yield piece
    finally:
        file.close()


def encoded(lines: Iterable[str]) -> Iterator[bytes]:
    """Text lines as UTF-8, gathered into pieces of about ``CHUNK`` bytes."""
    buffer = io.StringIO()
    size = 0
    for line in lines:
        buffer.write(line)
        size += len(line)
        if size >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer = io.StringIO()
            size = 0
    if size:
        yield buffer.getvalue().encode("utf-8")
