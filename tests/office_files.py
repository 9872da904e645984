"""Real attachment files for the search tests: PDF, DOCX and XLSX made on the spot, and a message carrying
them. The DOCX and XLSX are written by python-docx and openpyxl; the PDF is written by hand (pypdf reads
but does not lay out text), with a correct cross-reference table."""

from __future__ import annotations

import base64
import io
import zipfile

import docx
import openpyxl


def pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII) in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_file(paragraph: str, cells: list[list[str]]) -> bytes:
    document = docx.Document()
    document.add_paragraph(paragraph)
    table = document.add_table(rows=len(cells), cols=len(cells[0]))
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file(rows: list[list[object]], title: str = "Quotation") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX whose one member claims (and has) 100 MB of zeros, compressed to ~100 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (100 * 1024 * 1024))
    return out.getvalue()


def with_attachments(subject: str, body: str, files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart/mixed message: the text, then each (filename, content type, bytes) in base64."""
    parts = [
        f"From: Buyer <buyer@customer.example>\r\nTo: sales@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@x>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="part"\r\n\r\n'
        f"--part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ]
    for name, content_type, data in files:
        encoded = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
        parts.append(
            f'--part\r\nContent-Type: {content_type}; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + encoded
        )
    parts.append("--part--\r\n")
    return "".join(parts).encode("utf-8")
