"""What retention and holds decide, as plain functions of a message's fields (no database here).

A message's age counts from its INTERNALDATE — when the server received it, which the sender cannot set and
which survives a copy to another folder — else from its Date header (a message appended without an internal
date), else from when we archived it. The same date decides whether a hold's ``--since``/``--before``
cover it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mailwarden.core.errors import InputError

__all__ = ["UNITS", "Candidate", "HoldScope", "cutoff", "held_by", "keep_text", "parse_keep"]

UNITS = ("days", "months", "years")
_KEEP = re.compile(r"^\s*(\d+)\s*(d|day|days|m|mo|month|months|y|yr|year|years)\s*$", re.IGNORECASE)


def parse_keep(text: str) -> tuple[int, str]:
    """``7y``, ``18 months``, ``90d`` -> (amount, unit). Zero is refused: "keep nothing" is a purge of
    everything, which nobody should get from a typo."""
    found = _KEEP.match(text)
    if not found or int(found.group(1)) < 1:
        raise InputError("retention.bad_keep", value=text)
    letter = found.group(2)[0].lower()
    return int(found.group(1)), {"d": "days", "m": "months", "y": "years"}[letter]


def keep_text(amount: int, unit: str) -> str:
    """``7y``: the form people type, the same in every language."""
    return f"{amount}{unit[0]}"


def cutoff(now: datetime, amount: int, unit: str) -> datetime:
    """The oldest date still kept: ``now`` minus the period, by the calendar (31 March minus one month is
    28 or 29 February, as people count)."""
    if unit == "days":
        return now - timedelta(days=amount)
    months = amount * (12 if unit == "years" else 1)
    year, month = divmod(now.year * 12 + (now.month - 1) - months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class HoldScope:
    """An active hold as the rules need it."""

    name: str
    mailbox_id: int
    folder: str | None
    since: datetime | None
    before: datetime | None
    address: str | None


@dataclass(frozen=True)
class Candidate:
    """A message row as retention looks at it."""

    row_id: int
    mailbox_id: int
    folder: str
    basis: datetime
    sha256: str
    size: int
    from_addr: str | None
    to: Sequence[Any]
    cc: Sequence[Any]

    def addresses(self) -> set[str]:
        found = {self.from_addr.lower()} if self.from_addr else set()
        for pair in (*self.to, *self.cc):
            address = pair[1] if isinstance(pair, list | tuple) and len(pair) > 1 else pair
            if isinstance(address, str) and address:
                found.add(address.lower())
        return found


def held_by(candidate: Candidate, holds: Iterable[HoldScope]) -> str | None:
    """The name of the first active hold covering ``candidate``, or None."""
    for hold in holds:
        if hold.mailbox_id != candidate.mailbox_id:
            continue
        if hold.folder is not None and hold.folder != candidate.folder:
            continue
        if hold.since is not None and candidate.basis < hold.since:
            continue
        if hold.before is not None and candidate.basis >= hold.before:
            continue
        if hold.address is not None and hold.address not in candidate.addresses():
            continue
        return hold.name
    return None
