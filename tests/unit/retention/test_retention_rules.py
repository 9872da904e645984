"""Retention periods, cut-offs by the calendar, and which hold covers a message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailwarden.core.errors import InputError
from mailwarden.retention.rules import Candidate, HoldScope, cutoff, held_by, parse_keep

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("7y", (7, "years")), ("18 months", (18, "months")), ("90D", (90, "days")), (" 1 year ", (1, "years"))],
)
def test_periods_people_write_are_understood(text: str, parsed: tuple[int, str]) -> None:
    assert parse_keep(text) == parsed


@pytest.mark.parametrize("text", ["0y", "forever", "7", "-1d", "1w", ""])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_keep(text)
    assert caught.value.key == "retention.bad_keep"


def test_cutoffs_count_by_the_calendar() -> None:
    assert cutoff(NOW, 1, "months") == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # no 31 February
    assert cutoff(NOW, 13, "months") == datetime(2025, 2, 28, 10, 0, tzinfo=UTC)
    assert cutoff(datetime(2028, 2, 29, tzinfo=UTC), 1, "years") == datetime(2027, 2, 28, tzinfo=UTC)
    assert cutoff(NOW, 7, "years") == datetime(2019, 3, 31, 10, 0, tzinfo=UTC)
    assert cutoff(NOW, 30, "days") == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def message(**fields: object) -> Candidate:
    values: dict[str, object] = {
        "row_id": 1,
        "mailbox_id": 1,
        "folder": "INBOX",
        "basis": datetime(2024, 3, 3, 12, 0, tzinfo=UTC),
        "sha256": "0" * 64,
        "size": 10,
        "from_addr": "Buyer@Customer.example",
        "to": [["Sales", "sales@example.test"]],
        "cc": [[None, "boss@example.test"]],
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


def hold(**fields: object) -> HoldScope:
    values: dict[str, object] = {
        "name": "h",
        "mailbox_id": 1,
        "folder": None,
        "since": None,
        "before": None,
        "address": None,
    }
    values.update(fields)
    return HoldScope(**values)  # type: ignore[arg-type]


def test_a_hold_covers_what_all_its_conditions_match() -> None:
    march = {"since": datetime(2024, 3, 3, tzinfo=UTC), "before": datetime(2024, 3, 4, tzinfo=UTC)}
    assert held_by(message(), [hold()]) == "h"
    assert held_by(message(), [hold(address="buyer@customer.example", **march)]) == "h"
    assert held_by(message(), [hold(address="boss@example.test")]) == "h"  # Cc counts
    assert held_by(message(), [hold(mailbox_id=2)]) is None
    assert held_by(message(), [hold(folder="Sent")]) is None
    assert held_by(message(), [hold(address="other@example.test")]) is None
    assert (
        held_by(message(basis=datetime(2024, 3, 4, tzinfo=UTC)), [hold(**march)]) is None
    )  # before: exclusive
    assert held_by(message(), [hold(folder="Sent"), hold(name="second")]) == "second"
