"""Enhanced status codes (RFC 3463) and whether a reply is worth retrying."""

import pytest

from mailwarden.smtp import EnhancedStatus, Reply, is_permanent, parse_reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.7.8", EnhancedStatus(5, 7, 8)),
        ("4.7.0 Temporary authentication failure", EnhancedStatus(4, 7, 0)),
        ("2.0.0 Ok: queued as 4Xyz", EnhancedStatus(2, 0, 0)),
        ("5.7.139 Authentication unsuccessful, basic authentication is disabled.", EnhancedStatus(5, 7, 139)),
        ("5.1.10 RESOLVER.ADR.RecipientNotFound", EnhancedStatus(5, 1, 10)),
        ("5.123.999\tthree digits each", EnhancedStatus(5, 123, 999)),
    ],
)
def test_it_parses_an_enhanced_status_at_the_start(text: str, expected: EnhancedStatus) -> None:
    assert EnhancedStatus.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Error: authentication failed",
        "3.1.1 class 3 does not exist",
        "6.0.0 nor class 6",
        "5.7 two parts",
        "5.1234.1 subject too long",
        "5.1.1234 detail too long",
        "5.7.8.1 an address, not a status",
        "5.7.8: glued punctuation",
        "x5.7.8 not at the start",
        " 5.7.8 leading space",
        "",
    ],
)
def test_it_finds_no_enhanced_status_where_there_is_none(text: str) -> None:
    assert EnhancedStatus.parse(text) is None


def test_it_renders_the_status_as_written() -> None:
    assert str(EnhancedStatus(5, 7, 139)) == "5.7.139"


def test_it_splits_the_status_off_the_text() -> None:
    reply = parse_reply(535, "5.7.8 Error: authentication failed: authentication failure")

    assert reply == Reply(
        535, EnhancedStatus(5, 7, 8), "Error: authentication failed: authentication failure"
    )


def test_it_keeps_text_without_a_status_exactly() -> None:
    assert parse_reply(550, "  User unknown  ") == Reply(550, None, "  User unknown  ")


def test_it_strips_the_repeated_status_from_every_line_of_a_multiline_reply() -> None:
    """GIVEN a Gmail-style reply whose lines each start with the code (RFC 2034) THEN the text has none."""
    message = (
        "5.7.8 Username and Password not accepted. For more information, go to\n"
        "5.7.8  https://support.google.com/mail/?p=BadCredentials d2-20020a05"
    )

    reply = parse_reply(535, message)

    assert reply.enhanced == EnhancedStatus(5, 7, 8)
    assert reply.text == (
        "Username and Password not accepted. For more information, go to\n"
        "https://support.google.com/mail/?p=BadCredentials d2-20020a05"
    )


def test_it_keeps_a_different_status_on_a_later_line() -> None:
    reply = parse_reply(550, "5.1.1 mailbox unknown\n4.4.1 retried elsewhere")

    assert reply.text == "mailbox unknown\n4.4.1 retried elsewhere"


def test_a_status_alone_leaves_empty_text() -> None:
    assert parse_reply(421, "4.3.2") == Reply(421, EnhancedStatus(4, 3, 2), "")


def test_a_reply_renders_like_a_server_log_line() -> None:
    assert (
        str(parse_reply(535, "5.7.8 Error: authentication failed"))
        == "535 5.7.8 Error: authentication failed"
    )
    assert str(parse_reply(554, "Transaction failed")) == "554 Transaction failed"


@pytest.mark.parametrize(
    ("code", "enhanced", "permanent"),
    [
        (535, "5.7.8", True),
        (550, None, True),
        (554, "5.7.1", True),
        (535, "5.7.139", True),
        (421, None, False),
        (451, "4.3.0", False),
        (454, "4.7.0", False),
        (452, "5.2.2", False),  # a 4xx code is transient whatever the enhanced class claims
        (550, "4.2.2", False),  # a "mailbox full" mislabelled 550: retrying later can help
        (250, None, True),  # an OK where an error was due will not change by itself
        (0, "4.4.2", False),  # no reply code at all: the enhanced class decides
    ],
)
def test_it_classifies_permanent_and_transient_replies(
    code: int, enhanced: str | None, permanent: bool
) -> None:
    status = None if enhanced is None else EnhancedStatus.parse(enhanced)

    assert is_permanent(code, status) is permanent
    assert Reply(code, status, "text").permanent is permanent
