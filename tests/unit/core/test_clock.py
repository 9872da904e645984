from datetime import UTC, datetime, timedelta

from mailwarden.core import clock


def test_a_frozen_clock_moves_only_when_told() -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with clock.frozen(start) as frozen:
        assert clock.now() == start
        frozen.advance(timedelta(minutes=5))
        assert clock.now() == start + timedelta(minutes=5)
        assert clock.monotonic() == 1000.0 + 300
    assert clock.now() != start + timedelta(minutes=5)


def test_the_system_clock_is_aware_utc() -> None:
    assert clock.now().tzinfo is UTC
