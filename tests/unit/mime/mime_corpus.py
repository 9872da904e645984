"""Handcrafted raw messages, written as the bytes real clients send (CRLF, 8-bit where they use it).

Builders keep each test's message visible in the test; ``CORPUS`` collects a few whole messages for the
property tests to mutate.
"""

from __future__ import annotations

import base64

CRLF = b"\r\n"


def b_word(text: str, codec: str, label: str | None = None) -> bytes:
    """An RFC 2047 B encoded-word: ``=?label?B?...?=``."""
    data = base64.b64encode(text.encode(codec))
    return b"=?" + (label or codec).encode() + b"?B?" + data + b"?="


def b64(data: bytes) -> bytes:
    """Base64 in 76-character lines, as mail clients write it."""
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def message(*headers: tuple[str, bytes | str], body: bytes = b"") -> bytes:
    lines = [
        name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
        for name, value in headers
    ]
    return CRLF.join(lines) + CRLF + CRLF + body


def part(*headers: tuple[str, bytes | str], body: bytes = b"") -> bytes:
    return message(*headers, body=body)


def multipart(boundary: str, *parts: bytes, preamble: bytes = b"") -> bytes:
    """The body of a multipart: the parts between boundary lines."""
    out = preamble
    for each in parts:
        out += b"--" + boundary.encode() + CRLF + each + CRLF
    return out + b"--" + boundary.encode() + b"--" + CRLF


GBK_TEXT = "关于朱镕基与陶喆的询盘：报价 €100，生僻字𠀀。"

GB2312_LABELLED_GBK = message(
    ("From", b"=?GB2312?B?" + base64.b64encode("王经理".encode("gbk")) + b"?= <wang@example.cn>"),
    ("To", "sales@example.com"),
    ("Subject", b_word("询盘：朱镕基、陶喆", "gb18030", "GB2312")),
    ("Date", "Mon, 8 Jan 2024 09:30:00 +0800"),
    ("Message-ID", "<20240108093000.1@example.cn>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=gb2312"),
    ("Content-Transfer-Encoding", "8bit"),
    body=GBK_TEXT.encode("gb18030") + CRLF,
)

DSN_BOUNCE = message(
    ("From", "Mail Delivery System <MAILER-DAEMON@mx.example.com>"),
    ("To", "sales@example.com"),
    ("Subject", "Undelivered Mail Returned to Sender"),
    ("Date", "Tue, 9 Jan 2024 10:00:00 +0000"),
    ("Message-ID", "<bounce.1@mx.example.com>"),
    ("Auto-Submitted", "auto-replied"),
    ("Return-Path", "<>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="DSN"'),
    body=multipart(
        "DSN",
        part(
            ("Content-Type", "text/plain; charset=us-ascii"),
            body=b"I'm sorry to have to inform you that your message could not be delivered.",
        ),
        part(
            ("Content-Type", "message/delivery-status"),
            body=b"Reporting-MTA: dns; mx.example.com"
            + CRLF
            + CRLF
            + b"Final-Recipient: rfc822; buyer@example.org"
            + CRLF
            + b"Action: failed"
            + CRLF
            + b"Status: 5.1.1",
        ),
        part(
            ("Content-Type", "message/rfc822"),
            body=message(("From", "sales@example.com"), ("Subject", "Quotation"), body=b"Dear buyer,"),
        ),
    ),
)

OUTLOOK_ATTACHMENT = message(
    ("From", '"Li Si" <lisi@example.com>'),
    ("To", "buyer@example.org"),
    ("Subject", "Quotation"),
    ("Date", "Wed, 10 Jan 2024 08:00:00 +0800"),
    ("Message-ID", "<outlook.1@example.com>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="----=_NextPart_000_0001"'),
    body=multipart(
        "----=_NextPart_000_0001",
        part(("Content-Type", 'text/plain; charset="utf-8"'), body="请查收附件。".encode()),
        part(
            (
                "Content-Type",
                b'application/vnd.ms-excel; name="' + b_word("报价单（2024）.xlsx", "utf-8") + b'"',
            ),
            ("Content-Transfer-Encoding", "base64"),
            (
                "Content-Disposition",
                "attachment;\r\n filename*0*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%EF%BC%88;\r\n"
                " filename*1*=2024%EF%BC%89.xlsx",
            ),
            body=b64(b"PK\x03\x04 not really a spreadsheet"),
        ),
    ),
)

NO_MESSAGE_ID = message(
    ("From", "a@example.com"),
    ("To", "b@example.com"),
    ("Subject", "no id"),
    ("Date", "Thu, 11 Jan 2024 12:00:00 +0000"),
    body=b"hello" + CRLF,
)

CORPUS: dict[str, bytes] = {
    "gb2312_labelled_gbk": GB2312_LABELLED_GBK,
    "dsn_bounce": DSN_BOUNCE,
    "outlook_attachment": OUTLOOK_ATTACHMENT,
    "no_message_id": NO_MESSAGE_ID,
}
