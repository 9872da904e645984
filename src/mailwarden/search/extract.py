"""Text from attachments: PDF (pypdf), DOCX (python-docx), XLSX (openpyxl), text, HTML, attached mail.

Quotes, proforma invoices and L/C drafts travel as attachments, so their text is indexed. Each format is
read by a well-kept library; what none reads (images, archives, old binary .doc/.xls) is found by its file
name only.

Attachments are hostile input. Before a library sees a DOCX or XLSX (ZIP containers), the declared
uncompressed size is checked against ``MAX_UNZIPPED`` (a zip bomb is refused, not unpacked); PDFs are read
at most ``MAX_PAGES`` pages; every text is cut at ``MAX_CHARS``. A file a library cannot read raises
:class:`ExtractFailed` with the library's complaint: the indexer records it against the message (visible in
``archive index status``) and indexes the rest. The archived bytes are untouched either way.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterator

from mailwarden.mime import decode_text, html_to_text, parse_message
from mailwarden.mime.defects import DefectLog

__all__ = ["MAX_CHARS", "ExtractFailed", "attachment_text", "kind_of"]

MAX_CHARS = 200_000
MAX_PAGES = 300
MAX_UNZIPPED = 64 * 1024 * 1024

_BY_TYPE = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "message/rfc822": "mail",
}
_BY_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".htm": "html",
    ".html": "html",
    ".eml": "mail",
}
_TEXT_SUFFIXES = (".txt", ".csv", ".tsv", ".md", ".log")

# pypdf logs every malformed object it recovers from at WARNING; the indexer records real failures itself
logging.getLogger("pypdf").setLevel(logging.ERROR)


class ExtractFailed(Exception):
    """A library could not read the attachment; ``kind`` names the format, ``detail`` the complaint."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def kind_of(content_type: str, filename: str | None) -> str | None:
    """Which reader an attachment needs, by MIME type, then by file name (mailers often send octet-stream)."""
    kind = _BY_TYPE.get(content_type)
    if kind is not None:
        return kind
    name = (filename or "").lower()
    for suffix, by_name in _BY_SUFFIX.items():
        if name.endswith(suffix):
            return by_name
    if content_type.startswith("text/") or name.endswith(_TEXT_SUFFIXES):
        return "text"
    return None


def attachment_text(data: bytes, content_type: str, filename: str | None) -> str:
    """The text of one attachment ('' for formats without text). Raises :class:`ExtractFailed`."""
    kind = kind_of(content_type, filename)
    if kind is None:
        return ""
    reader = _READERS[kind]
    try:
        return reader(data)[:MAX_CHARS]
    except ExtractFailed:
        raise
    except Exception as exc:
        raise ExtractFailed(kind, f"{type(exc).__name__}: {exc}"[:300]) from exc


def _text(data: bytes) -> str:
    return decode_text(data, None, DefectLog(), "attachment")


def _html(data: bytes) -> str:
    return html_to_text(_text(data))


def _mail(data: bytes) -> str:
    inner = parse_message(data)
    return f"{inner.subject}\n{inner.text}"


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader  # imported when a PDF comes: most messages have none

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise ExtractFailed("pdf", "encrypted")
    return _joined(page.extract_text() or "" for page in reader.pages[:MAX_PAGES])


def _checked_zip(data: bytes, kind: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ExtractFailed(kind, f"not a ZIP container: {exc}") from exc
    if unzipped > MAX_UNZIPPED:
        raise ExtractFailed(kind, f"declares {unzipped} bytes unpacked (limit {MAX_UNZIPPED})")


def _docx(data: bytes) -> str:
    _checked_zip(data, "docx")
    import docx

    document = docx.Document(io.BytesIO(data))
    pieces = [paragraph.text for paragraph in document.paragraphs]
    # prices and quantities of a quotation are in tables
    pieces.extend(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return _joined(pieces)


def _xlsx(data: bytes) -> str:
    _checked_zip(data, "xlsx")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return _joined(_cells(book))
    finally:
        book.close()


def _cells(book: object) -> Iterator[str]:
    for sheet in book.worksheets:  # type: ignore[attr-defined]
        yield sheet.title
        for row in sheet.iter_rows(values_only=True):
            yield " ".join(str(value) for value in row if value is not None)


def _joined(pieces: Iterator[str] | list[str]) -> str:
    out: list[str] = []
    total = 0
    for piece in pieces:
        if not piece:
            continue
        out.append(piece)
        total += len(piece) + 1
        if total > MAX_CHARS:
            break
    return "\n".join(out)


_READERS: dict[str, Callable[[bytes], str]] = {
    "text": _text,
    "html": _html,
    "mail": _mail,
    "pdf": _pdf,
    "docx": _docx,
    "xlsx": _xlsx,
}
