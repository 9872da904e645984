"""A seal's hash over message rows: any change to a sealed field of any row breaks it and names that row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.archive.seals import _digests, _first_difference, row_line, seal_hash
from mailwarden.audit.chain import GENESIS

FIELDS = range(1, 8)  # every column but the id: mailbox, folder, UIDVALIDITY, UID, sha256, size, date


def rows(n: int) -> list[Any]:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    return [
        (i, 1, 2, 7, 100 + i, f"{i:064x}", 1000 + i, start + timedelta(seconds=i) if i % 3 else None)
        for i in range(1, n + 1)
    ]


def changed(value: Any) -> Any:
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if value is None:
        return datetime(2024, 1, 1, tzinfo=UTC)
    if isinstance(value, str):
        return ("f" if value[0] != "f" else "e") + value[1:]
    return value + 1


def test_the_line_is_tab_separated_with_the_audit_time_format() -> None:
    (row,) = rows(1)
    assert row_line(row) == f"1\t1\t2\t7\t101\t{row[5]}\t1001\t2024-03-01T00:00:01.000000Z\n".encode()
    assert row_line((*row[:7], None)).endswith(b"\t1001\t-\n")


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 12), data=st.data())
def test_any_changed_field_of_any_row_breaks_the_seal_and_names_the_row(n: int, data: st.DataObject) -> None:
    sealed = rows(n)
    digest, marks = _digests(1, 0, n, GENESIS, sealed)
    index = data.draw(st.integers(0, n - 1), label="row")
    field = data.draw(st.sampled_from(FIELDS), label="field")
    now = list(sealed)
    now[index] = (*now[index][:field], changed(now[index][field]), *now[index][field + 1 :])
    assert seal_hash(1, 0, n, GENESIS, now) != digest
    assert _first_difference(marks, now) == (index + 1, f"row {index + 1} was changed")


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_a_deleted_row_is_named(n: int, data: st.DataObject) -> None:
    sealed = rows(n)
    digest, marks = _digests(1, 0, n, GENESIS, sealed)
    index = data.draw(st.integers(0, n - 1), label="row")
    now = sealed[:index] + sealed[index + 1 :]
    assert seal_hash(1, 0, n, GENESIS, now) != digest
    assert _first_difference(marks, now) == (index + 1, f"row {index + 1} was deleted")
