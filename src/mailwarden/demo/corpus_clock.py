"""The corpus under construction: its random source, its business-hours timeline and its messages.

:class:`Builder` is the one piece of state the thread writers share. Every random choice goes through its
``rng`` (a ``random.Random(seed)``), every time is derived from ``now``, so a corpus is a pure function of
``(now, seed)``. Times move forward only: a reply is scheduled from the message it answers, inside the
writer's office hours, and is dropped when it would fall after ``now`` — the conversation is simply not
over yet, as in a real mailbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mailwarden.demo.corpus_mime import Mail, mail_bytes
from mailwarden.demo.corpus_model import SeedMessage

__all__ = ["Builder", "Item"]

_OPEN, _CLOSE = time(8, 30), time(18, 30)
#: nothing is dated in the last minutes before ``now``, so an arrival delay never crosses it
_MARGIN = timedelta(minutes=5)
#: a message older than this has been read by someone; newer ones are still unread
_READ_AFTER = timedelta(hours=30)


@dataclass
class Item:
    """A message of the corpus before its flags are known (they depend on what answers it)."""

    folder: str
    raw: bytes
    when: datetime
    kind: str
    mail: Mail
    flagged: bool = False
    draft: bool = False


class Builder:
    def __init__(self, now: datetime, seed: int) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.now = now.astimezone(UTC)
        self.rng = random.Random(seed)  # noqa: S311 - sample text, not cryptography
        self.items: list[Item] = []
        self._ids: set[str] = set()
        self._quotes = 0

    # ---- identifiers -------------------------------------------------------------------------------------

    def message_id(self, address: str, when: datetime) -> str:
        """A new Message-ID in the sender's domain, the way most clients make one (time + randomness)."""
        domain = address.rpartition("@")[2]
        while True:
            found = f"{when:%Y%m%d%H%M%S}.{self.rng.getrandbits(48):012x}@{domain}"
            if found not in self._ids:
                self._ids.add(found)
                return found

    def quote_number(self, when: datetime) -> str:
        self._quotes += 1
        return f"HD-Q{when:%y%m}-{self._quotes:03d}"

    # ---- time --------------------------------------------------------------------------------------------

    def start(self, tz: str, *, lo_days: float = 0.05, hi_days: float = 29.5) -> datetime | None:
        """A first message some time in the window, moved into the sender's office hours."""
        back = timedelta(days=self.rng.uniform(lo_days, hi_days))
        return self.slot(self.now - back, tz, 0, 1)

    def slot(self, after: datetime, tz: str, lo_minutes: float, hi_minutes: float) -> datetime | None:
        """A moment ``lo..hi`` minutes after ``after`` (UTC), in office hours of ``tz``; None past ``now``."""
        zone = ZoneInfo(tz)
        local = (after + timedelta(minutes=self.rng.uniform(lo_minutes, hi_minutes))).astimezone(zone)
        if not _open(local):
            day = local.date() if local.timetz().replace(tzinfo=None) < _OPEN else local.date() + timedelta(1)
            while day.weekday() >= 5:
                day += timedelta(1)
            opening = datetime.combine(day, _OPEN, tzinfo=zone)
            local = opening + timedelta(minutes=self.rng.uniform(5, 150))
        found = local.astimezone(UTC).replace(microsecond=0)
        return found if found <= self.now - _MARGIN else None

    @staticmethod
    def local(when: datetime, tz: str) -> datetime:
        return when.astimezone(ZoneInfo(tz))

    # ---- messages ----------------------------------------------------------------------------------------

    def add(self, folder: str, raw: bytes, mail: Mail, kind: str, *, flagged: bool = False) -> Item:
        """Keep a message; an inbound one arrives (INTERNALDATE) a few seconds after its Date."""
        when = mail.date.astimezone(UTC)
        if mail.inbound:
            when += timedelta(seconds=self.rng.randint(2, 90))
        item = Item(folder, raw, when, kind, mail, flagged=flagged, draft=folder == "Drafts")
        self.items.append(item)
        return item

    def send(self, folder: str, mail: Mail, kind: str, *, flagged: bool = False) -> Item:
        return self.add(folder, mail_bytes(mail), mail, kind, flagged=flagged)

    def seeds(self) -> list[SeedMessage]:
        """Every message with its flags, oldest first: replied-to mail is \\Answered, older mail \\Seen."""
        answered = {
            item.mail.parent.message_id
            for item in self.items
            if item.mail.parent is not None and not item.mail.inbound and not item.draft
        }
        out = []
        for item in sorted(self.items, key=lambda item: (item.when, item.mail.message_id)):
            flags = set()
            if not item.mail.inbound or item.when < self.now - _READ_AFTER:
                flags.add("\\Seen")
            if item.mail.message_id in answered:
                flags.add("\\Answered")
            if item.flagged:
                flags.add("\\Flagged")
            if item.draft:
                flags.add("\\Draft")
            out.append(SeedMessage(item.folder, item.raw, item.when, frozenset(flags), item.kind))
        return out


def _open(local: datetime) -> bool:
    return local.weekday() < 5 and _OPEN <= local.timetz().replace(tzinfo=None) < _CLOSE
