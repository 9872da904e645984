"""Which parts are the text, which are attachments, and how they are numbered."""

from __future__ import annotations

from mime_corpus import b64, message, multipart, part

from mailwarden.mime import parse_message

ALTERNATIVE = ("Content-Type", 'multipart/alternative; boundary="alt"')


def alternative_body(plain: str, html: str) -> bytes:
    return multipart(
        "alt",
        part(("Content-Type", "text/plain; charset=utf-8"), body=plain.encode()),
        part(("Content-Type", "text/html; charset=utf-8"), body=html.encode()),
    )


def test_alternative_gives_plain_text_and_html() -> None:
    raw = message(("Subject", "x"), ALTERNATIVE, body=alternative_body("你好", "<p>你好</p>"))

    parsed = parse_message(raw)

    assert (parsed.text, parsed.html, parsed.text_from_html) == ("你好", "<p>你好</p>", False)
    assert parsed.attachments == []


def test_html_only_mail_gets_text_made_from_the_html() -> None:
    html = "<html><head><style>p{}</style></head><body><p>Dear&nbsp;buyer,</p><p>价格<br>€5</p></body></html>"
    raw = message(("Content-Type", "text/html; charset=utf-8"), body=html.encode())

    parsed = parse_message(raw)

    assert parsed.text == "Dear buyer,\n\n价格\n€5"
    assert parsed.text_from_html
    assert parsed.html == html


def test_html_without_charset_parameter_uses_its_meta_tag() -> None:
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>镕</html>'
    raw = message(("Content-Type", "text/html"), body=html.encode("gbk"))

    assert parse_message(raw).html == html


def test_related_inline_images_are_attachments_with_their_content_id() -> None:
    raw = message(
        ("Content-Type", 'multipart/related; boundary="rel"'),
        body=multipart(
            "rel",
            part(("Content-Type", "text/html; charset=utf-8"), body=b'<img src="cid:logo@x">'),
            part(
                ("Content-Type", "image/png"),
                ("Content-ID", "<logo@x>"),
                ("Content-Disposition", "inline"),
                ("Content-Transfer-Encoding", "base64"),
                body=b64(b"\x89PNG fake"),
            ),
        ),
    )

    parsed = parse_message(raw)

    [image] = parsed.attachments
    assert (image.part_path, image.content_id, image.disposition, image.size) == ("2", "logo@x", "inline", 9)
    assert parsed.html == '<img src="cid:logo@x">'


def test_nested_parts_get_imap_section_numbers() -> None:
    raw = message(
        ("Content-Type", 'multipart/mixed; boundary="mix"'),
        body=multipart(
            "mix",
            part(ALTERNATIVE, body=alternative_body("plain", "<b>html</b>")),
            part(("Content-Type", "application/pdf; name=a.pdf"), body=b"%PDF"),
            part(
                ("Content-Type", 'multipart/mixed; boundary="inner"'),
                body=multipart("inner", part(("Content-Type", "image/jpeg; name=b.jpg"), body=b"JPEG")),
            ),
        ),
    )

    parsed = parse_message(raw)

    assert [(a.part_path, a.filename) for a in parsed.attachments] == [("2", "a.pdf"), ("3.1", "b.jpg")]
    assert parsed.text == "plain"


def test_a_single_part_attachment_is_part_1() -> None:
    raw = message(("Content-Type", "application/pdf"), ("Content-Disposition", "attachment; filename=x.pdf"))

    [attachment] = parse_message(raw).attachments

    assert (attachment.part_path, attachment.filename, attachment.size) == ("1", "x.pdf", 0)


def test_a_text_attachment_is_not_body_text() -> None:
    raw = message(
        ("Content-Type", 'multipart/mixed; boundary="m"'),
        body=multipart(
            "m",
            part(("Content-Type", "text/plain"), body=b"body"),
            part(
                ("Content-Type", "text/plain"),
                ("Content-Disposition", "attachment; filename=log.txt"),
                body=b"log",
            ),
        ),
    )

    parsed = parse_message(raw)

    assert parsed.text == "body"
    assert [a.filename for a in parsed.attachments] == ["log.txt"]


def test_mixed_text_parts_are_joined_in_order() -> None:
    raw = message(
        ("Content-Type", 'multipart/mixed; boundary="m"'),
        body=multipart(
            "m",
            part(("Content-Type", "text/plain"), body=b"first"),
            part(("Content-Type", "image/gif"), body=b"GIF"),
            part(("Content-Type", "text/plain"), body=b"second"),
        ),
    )

    assert parse_message(raw).text == "first\nsecond"


def test_a_multipart_without_boundary_is_read_as_text_with_defects() -> None:
    raw = message(("Content-Type", "multipart/mixed"), body=b"just text\r\n")

    parsed = parse_message(raw)

    assert parsed.text == "just text\n"
    assert "structure" in {d.kind for d in parsed.defects}


def test_auto_reply_headers_are_reported_as_facts() -> None:
    raw = message(
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("Precedence", "bulk"),
        ("List-Id", "<news.example.com>"),
        body=b"I am out of office",
    )

    parsed = parse_message(raw)

    assert parsed.is_auto_reply
    signals = parsed.auto_reply
    assert (signals.auto_submitted, signals.x_autoreply, signals.precedence, signals.list_id) == (
        "auto-replied",
        "yes",
        "bulk",
        "<news.example.com>",
    )
    assert parsed.headers["precedence"] == ["bulk"]


def test_ordinary_mail_is_not_an_auto_reply() -> None:
    raw = message(("Auto-Submitted", "no"), ("X-Auto-Response-Suppress", "All"), body=b"hi")

    assert not parse_message(raw).is_auto_reply
