"""Attachment text: read by pypdf, python-docx and openpyxl; hostile files refused with a reason."""

from __future__ import annotations

import pytest

from mailwarden.search.extract import MAX_UNZIPPED, ExtractFailed, attachment_text, kind_of

from office_files import docx_file, pdf, xlsx_file, zip_bomb_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_pdf_text_is_read() -> None:
    assert "Proforma Invoice PI-7731" in attachment_text(
        pdf("Proforma Invoice PI-7731"), "application/pdf", None
    )


def test_docx_paragraphs_and_table_cells_are_read() -> None:
    data = docx_file("报价单 Quotation No. Q-88", [["型号", "单价"], ["HX-200", "USD 12.50"]])
    text = attachment_text(data, DOCX, "q.docx")
    assert "报价单 Quotation No. Q-88" in text
    assert "HX-200" in text and "USD 12.50" in text and "单价" in text


def test_xlsx_sheet_names_and_cells_are_read() -> None:
    text = attachment_text(xlsx_file([["Model", "FOB Ningbo"], ["LED-600", 18.5]], title="报价"), XLSX, None)
    assert "报价" in text and "FOB Ningbo" in text and "LED-600 18.5" in text


def test_the_kind_comes_from_the_file_name_when_the_type_is_generic() -> None:
    assert kind_of("application/octet-stream", "PI.PDF") == "pdf"
    assert kind_of("application/octet-stream", "photo.jpg") is None
    assert kind_of("text/csv", None) == "text"


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    with pytest.raises(ExtractFailed) as caught:
        attachment_text(zip_bomb_docx(), DOCX, "bomb.docx")
    assert caught.value.kind == "docx" and str(MAX_UNZIPPED) in caught.value.detail


@pytest.mark.parametrize(
    ("data", "content_type"), [(b"%PDF-1.4 garbage", "application/pdf"), (b"PK\x03\x04no", DOCX)]
)
def test_broken_files_raise_a_typed_failure(data: bytes, content_type: str) -> None:
    with pytest.raises(ExtractFailed):
        attachment_text(data, content_type, None)


def test_images_have_no_text() -> None:
    assert attachment_text(b"\x89PNG\r\n", "image/png", "x.png") == ""
