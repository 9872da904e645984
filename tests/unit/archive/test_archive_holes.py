"""The cursor-and-holes bookkeeping every archive consumer shares (search index, team inbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailwarden.archive.holes import HOLE_PATIENCE, advance, pending_count

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
STAMP = NOW.isoformat()


def test_it_moves_the_cursor_to_the_last_id_read() -> None:
    assert advance(10, [], [11, 12, 13], now=NOW) == (13, [])


def test_it_keeps_an_id_passed_over_as_a_hole() -> None:
    """GIVEN PostgreSQL committed 103 before 102, WHEN a batch reads 101 and 103, THEN 102 is a hole."""
    assert advance(100, [], [101, 103], now=NOW) == (103, [[102, 102, STAMP]])


def test_a_wide_gap_is_one_hole() -> None:
    assert advance(0, [], [1, 7], now=NOW) == (7, [[2, 6, STAMP]])


def test_a_row_that_shows_up_later_splits_its_hole() -> None:
    cursor, holes = advance(7, [[2, 6, STAMP]], [4, 8], now=NOW + timedelta(seconds=5))
    assert cursor == 8
    assert holes == [[2, 3, STAMP], [5, 6, STAMP]]


def test_a_filled_hole_disappears() -> None:
    assert advance(7, [[2, 3, STAMP]], [2, 3], now=NOW) == (7, [])


def test_an_old_hole_is_given_up_as_a_rolled_back_insert() -> None:
    later = NOW + timedelta(seconds=HOLE_PATIENCE)
    assert advance(7, [[2, 3, STAMP]], [], now=later) == (7, [])


def test_a_batch_of_only_hole_rows_leaves_the_cursor() -> None:
    assert advance(50, [[10, 12, STAMP]], [11], now=NOW) == (50, [[10, 10, STAMP], [12, 12, STAMP]])


def test_the_pending_count_spans_every_hole() -> None:
    assert pending_count([[2, 3, STAMP], [10, 10, STAMP]]) == 3
