"""The demo's attachments: a one-page PDF written by hand and an XLSX price list written with openpyxl.

Quotations and proforma invoices travel as attachments, and the archive indexes their text, so the demo
needs real files a reader can open — not random bytes with a ``.pdf`` name. Both come out byte-identical
for the same arguments: the PDF has no clock in it, and the XLSX's ZIP times and its ``modified`` property
(openpyxl stamps both with the wall clock) are rewritten to the caller's ``when``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime

import openpyxl

__all__ = ["PriceRow", "pdf_document", "xlsx_price_list"]

#: A4 in points; the standard 14 fonts need no embedding, so the file stays a few KB
_PAGE_WIDTH, _PAGE_HEIGHT = 595, 842
_LINES_PER_PAGE = 60

PriceRow = tuple[str, str, str, float, int]  # model, description, unit, unit price (USD), MOQ


def _pdf_string(text: str) -> bytes:
    """A PDF literal string: WinAnsi (Latin-1 here) with ``\\``, ``(`` and ``)`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", errors="replace") + b")"


def _page_stream(title: str, lines: Sequence[str]) -> bytes:
    out = [b"BT /F2 15 Tf 50 790 Td " + _pdf_string(title) + b" Tj ET"]
    y = 760
    for line in lines:
        out.append(b"BT /F1 10 Tf 50 %d Td " % y + _pdf_string(line) + b" Tj ET")
        y -= 12
    return b"\n".join(out) + b"\n"


def pdf_document(title: str, lines: Sequence[str], *, when: datetime) -> bytes:
    """A valid PDF 1.4 with ``title`` in bold and ``lines`` below it (Latin-1 text; pages of 60 lines).

    Written object by object with a correct cross-reference table, so strict readers (pypdf, pdf.js,
    Acrobat) open it without repairing anything.
    """
    pages = [list(lines[i : i + _LINES_PER_PAGE]) for i in range(0, max(len(lines), 1), _LINES_PER_PAGE)]
    # objects: 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then (page, content) pairs
    first_page = 6
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    stamp = when.strftime("D:%Y%m%d%H%M%SZ")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(title) + b" /Producer (mailwarden demo) /CreationDate "
        b"(" + stamp.encode() + b") >>",
    ]
    for number, page_lines in enumerate(pages):
        content = _page_stream(title if number == 0 else f"{title} (page {number + 1})", page_lines)
        contents = first_page + 2 * number + 1
        page = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {contents} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def xlsx_price_list(title: str, rows: Sequence[PriceRow], *, when: datetime) -> bytes:
    """An XLSX workbook: one sheet ``Price list`` with a header row, ``rows`` and a validity note."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = "Price list"
    sheet.append([title])
    sheet.append(["Model", "Description", "Unit", "Unit price USD (FOB Ningbo)", "MOQ"])
    for row in rows:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(
        [f"Prices valid for 30 days from {when:%Y-%m-%d}. Payment: 30% T/T deposit, 70% before shipment."]
    )
    for column, width in zip("ABCDE", (16, 44, 8, 26, 8), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.creator = "Ningbo Hengda Industrial Co., Ltd."
    book.properties.created = when.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return _stamped_zip(buffer.getvalue(), when)


def _stamped_zip(data: bytes, when: datetime) -> bytes:
    """The same ZIP with every entry dated ``when`` and ``dcterms:modified`` set to it (no wall clock)."""
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + iso.encode() + rb"\g<2>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, body)
    return out.getvalue()
