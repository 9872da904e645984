"""Which archived copies are a mailbox's history: received (the server's internal date, else when archived)
before the mailbox's cut-off — never judged by the Date header, which the sender writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from mailwarden.core.settings import InboxSettings
from mailwarden.inbox.prepare import ArchiveRow, Team, prepare

CUT = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
TEAM = Team(("sales@example.test",), ("example.test",), (b"k" * 32,), history_before={1: CUT})
RAW = (
    b"From: Anna <anna@weber-gmbh.de>\r\nTo: sales@example.test\r\nSubject: Inquiry\r\n"
    b"Date: Mon, 1 Jun 2026 09:00:00 +0000\r\nMessage-ID: <a@weber>\r\n\r\nPrice please.\r\n"
)


def row(mailbox: int, internal: datetime | None, archived: datetime = CUT + timedelta(days=3)) -> ArchiveRow:
    return ArchiveRow(1, mailbox, "0" * 64, internal, archived)


@pytest.mark.parametrize(
    ("copy", "history"),
    [
        (row(1, CUT - timedelta(seconds=1)), True),
        (row(1, CUT), False),  # the cut-off itself is the first instant of work
        (row(1, None, archived=CUT - timedelta(days=1)), True),  # no internal date: when it was archived
        (row(1, None), False),
        (row(2, CUT - timedelta(days=400)), False),  # a mailbox without a cut-off: everything is work
    ],
)
def test_history_is_decided_by_the_servers_receipt(copy: ArchiveRow, history: bool) -> None:
    assert TEAM.is_history(copy) is history
    assert prepare(copy, RAW, TEAM).history is history


def test_an_old_date_header_on_mail_received_now_is_work() -> None:
    # the Date says 1 June (a week before the cut-off); the server received it after: a delayed or
    # back-dated message is still a customer waiting now
    assert prepare(row(1, CUT + timedelta(hours=1)), RAW, TEAM).history is False


def test_the_window_is_checked() -> None:
    assert InboxSettings().backlog_days == 3
    assert InboxSettings.model_validate({"backlog_days": 0}).backlog_days == 0
    with pytest.raises(ValidationError):
        InboxSettings.model_validate({"backlog_days": -1})
