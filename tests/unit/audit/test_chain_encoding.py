"""The audit chain encoding: fixed bytes for fixed fields; any single change breaks the link it is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.audit.chain import GENESIS, canonical, event_hash, normalize_detail, utc_text
from mailwarden.audit.models import AuditEvent
from mailwarden.audit.service import check_link

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FIELDS = ("chain", "seq", "at", "actor", "action", "target", "detail", "prev_hash", "hash")


def build(n: int) -> list[AuditEvent]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "chain": "audit",
            "seq": seq,
            "at": START + timedelta(seconds=seq, microseconds=seq),
            "actor": "cli:root@host",
            "action": "archive.export",
            "target": f"sales 询盘 {seq}",
            "detail": normalize_detail({"messages": seq, "folders": ["INBOX", "客户/重要"]}),
        }
        digest = event_hash(prev, canonical(**fields))
        events.append(AuditEvent(**fields, prev_hash=prev, hash=digest))
        prev = digest
    return events


def first_break(events: list[AuditEvent]) -> int | None:
    prev, expected = GENESIS, 1
    for event in events:
        broken = check_link(event, expected, prev)
        if broken is not None:
            return broken.seq
        prev, expected = event.hash, event.seq + 1
    return None


def changed(field: str, value: Any) -> Any:
    if field == "seq":
        return value + 1000
    if field == "at":
        return value + timedelta(microseconds=1)
    if field == "detail":
        return {**value, "messages": value["messages"] + 1}
    if field in ("prev_hash", "hash"):
        return ("1" if value[0] != "1" else "2") + value[1:]
    return value + "x"


def test_the_encoding_is_sorted_compact_utf8_with_fixed_precision_utc() -> None:
    encoded = canonical(
        chain="audit",
        seq=1,
        at=datetime(2026, 1, 2, 11, 4, 5, tzinfo=timezone(timedelta(hours=8))),
        actor="a",
        action="archive.view",
        target="报价",
        detail={"b": 1, "a": [1, 2]},
    )
    assert (
        encoded
        == (
            '{"action":"archive.view","actor":"a","at":"2026-01-02T03:04:05.000000Z","chain":"audit",'
            '"detail":{"a":[1,2],"b":1},"seq":1,"target":"报价"}'
        ).encode()
    )


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_text(datetime(2026, 1, 1))


def test_detail_hashes_as_the_json_column_gives_it_back() -> None:
    assert normalize_detail({"ids": (1, 2), 3: "x"}) == {"ids": [1, 2], "3": "x"}


def test_an_intact_chain_has_no_break() -> None:
    assert first_break(build(5)) is None


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 8), data=st.data())
def test_any_single_field_change_in_any_row_breaks_at_that_row(n: int, data: st.DataObject) -> None:
    events = build(n)
    index = data.draw(st.integers(0, n - 1), label="row")
    field = data.draw(st.sampled_from(FIELDS), label="field")
    event = events[index]
    setattr(event, field, changed(field, getattr(event, field)))
    assert first_break(events) == index + 1


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 8), data=st.data())
def test_a_deleted_row_breaks_at_its_seq(n: int, data: st.DataObject) -> None:
    events = build(n)
    index = data.draw(st.integers(0, n - 2), label="row")
    del events[index]
    assert first_break(events) == index + 1
