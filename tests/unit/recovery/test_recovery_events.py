"""The selection an export or restore records in its audit event."""

from __future__ import annotations

from datetime import UTC, datetime

from mailwarden.recovery.events import selection_dict
from mailwarden.recovery.selection import Selection


def test_every_filter_is_recorded_as_json_values() -> None:
    chosen = Selection(
        folders=("INBOX", "客户/重要"),
        since=datetime(2024, 3, 1, tzinfo=UTC),
        message_ids=("a@b",),
        query="询盘 from:acme.de",
    )
    assert selection_dict(chosen) == {
        "folders": ["INBOX", "客户/重要"],
        "since": "2024-03-01T00:00:00+00:00",
        "before": None,
        "message_ids": ["a@b"],
        "include_gone": False,
        "query": "询盘 from:acme.de",
    }
