"""extract_part: the bytes behind an Attachment, matching the size and SHA-256 recorded at parse time."""

from __future__ import annotations

import hashlib
import tracemalloc
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest
from mime_corpus import OUTLOOK_ATTACHMENT, b64, message, multipart, part

from mailwarden.core.errors import InputError, NotFoundError, StorageError
from mailwarden.mime import extract_part, parse_message, transfer
from mailwarden.mime.defects import DefectLog


def with_attachment(data: bytes, encoding: str = "base64", encoded: bytes | None = None) -> bytes:
    return message(
        ("Content-Type", 'multipart/mixed; boundary="m"'),
        body=multipart(
            "m",
            part(("Content-Type", "text/plain"), body=b"see attached"),
            part(
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", "attachment; filename=data.bin"),
                ("Content-Transfer-Encoding", encoding),
                body=b64(data) if encoded is None else encoded,
            ),
        ),
    )


def test_the_hash_and_size_match_the_extracted_bytes() -> None:
    data = bytes(range(256)) * 40
    raw = with_attachment(data)

    [attachment] = parse_message(raw).attachments

    assert extract_part(raw, attachment.part_path) == data
    assert (attachment.size, attachment.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_it_reads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(OUTLOOK_ATTACHMENT)

    parsed = parse_message(path)

    assert parsed.size == len(OUTLOOK_ATTACHMENT)
    assert extract_part(path, "2") == b"PK\x03\x04 not really a spreadsheet"


def test_chunk_boundaries_do_not_change_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytes(range(256)) * 50
    raw = with_attachment(data)
    monkeypatch.setattr(transfer, "CHUNK", 77)  # not a multiple of 4, nor of a line

    [attachment] = parse_message(raw).attachments

    assert extract_part(raw, "2") == data
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_quoted_printable_with_raw_8bit_bytes_keeps_them(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = b"caf=C3=A9 \xe6\x8a\xa5=\r\n\xe4\xbb\xb7\r\nline two"
    raw = with_attachment(b"", "quoted-printable", encoded)
    monkeypatch.setattr(transfer, "CHUNK", 5)

    assert extract_part(raw, "2") == "café 报价\r\nline two".encode()


def test_glued_base64_streams_are_both_decoded() -> None:
    raw = with_attachment(b"", "base64", b"QQ==\r\nQkM=")

    assert extract_part(raw, "2") == b"ABC"


def test_an_unknown_transfer_encoding_keeps_the_bytes_with_a_defect() -> None:
    raw = with_attachment(b"", "x-gzip64", b"raw bytes")

    parsed = parse_message(raw)

    assert extract_part(raw, "2") == b"raw bytes"
    assert "transfer_encoding" in {d.kind for d in parsed.defects}


def test_a_large_attachment_is_hashed_without_decoding_it_whole() -> None:
    data = bytes(range(256)) * (8 * 4096)  # 8 MiB
    payload = BytesParser(policy=compat32).parsebytes(with_attachment(data)).get_payload()
    assert isinstance(payload, list)
    part_ = payload[1]
    assert isinstance(part_, Message)

    tracemalloc.start()
    try:
        sha256, size = transfer.digest(part_, DefectLog(), "part 2")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    # a handful of chunk-sized buffers, however big the attachment: nowhere near its 8 MiB
    assert peak < 6 * transfer.CHUNK < len(data) / 4


def test_a_malformed_part_number_is_an_input_error() -> None:
    with pytest.raises(InputError):
        extract_part(OUTLOOK_ATTACHMENT, "2.x")


def test_a_missing_part_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        extract_part(OUTLOOK_ATTACHMENT, "7")

    assert "7" in caught.value.render("zh-CN")


def test_an_unreadable_file_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        extract_part(tmp_path / "missing.eml", "1")


def test_parse_message_on_an_unreadable_file_returns_a_defect(tmp_path: Path) -> None:
    parsed = parse_message(tmp_path / "missing.eml")

    assert parsed.size == 0
    assert [d.kind for d in parsed.defects][:1] == ["unreadable"]


def test_an_attached_message_is_extracted_as_sent() -> None:
    # a 130-character header line and an LF-only line: a message parsed and serialised again would come
    # back folded and with CRLF; the archive promises the bytes that were sent
    inner = b"From: a@example.com\r\nSubject: " + b"x" * 130 + b"\r\nX-Raw: caf\xe9\n\r\nbody\r\n"
    raw = message(
        ("Content-Type", 'multipart/mixed; boundary="m"'),
        body=multipart(
            "m",
            part(("Content-Type", "text/plain"), body=b"fwd"),
            part(("Content-Type", "message/rfc822"), body=inner),
        ),
    )

    [attachment] = parse_message(raw).attachments

    assert attachment.content_type == "message/rfc822"
    assert extract_part(raw, "2") == inner
    assert (attachment.size, attachment.sha256) == (len(inner), hashlib.sha256(inner).hexdigest())


def test_parsing_a_file_holds_its_bytes_once_plus_their_text(tmp_path: Path) -> None:
    path = tmp_path / "big.eml"
    path.write_bytes(with_attachment(bytes(range(256)) * (24 * 1024)))  # 6 MiB, 8 MiB as base64
    size = path.stat().st_size

    tracemalloc.start()
    try:
        parsed = parse_message(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(parsed.attachments) == 1
    # the file's bytes, the part's text sliced out of them, and a few chunk-sized buffers while hashing
    assert peak < 2 * size + 8 * transfer.CHUNK
