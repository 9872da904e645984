"""The CPU half of ingesting a message: parse it and run every decision that needs no table.

Done for a whole batch on a thread *before* the batch's transaction opens (:mod:`.ingest`): on SQLite a
write transaction blocks the archive's sync, so it should hold the lock for the database work only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwarden.archive.blobstore import BlobStore
from mailwarden.inbox.bounces import BounceReport, read_bounce
from mailwarden.inbox.noise import NoiseVerdict, classify
from mailwarden.inbox.parties import Parties, message_parties, normalise_address
from mailwarden.mime import ParsedMessage, parse_message

__all__ = ["CLOCK_SKEW", "ArchiveRow", "Prepared", "Team", "prepare", "prepare_many", "written_at"]

#: how far ahead of the server's clock a sender's Date may be (time zones written wrong, slow clocks)
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Team:
    """Who "we" are, and the keys our conversation tokens are signed with (current first).

    ``addresses``: every managed mailbox's address, the agents' addresses and ``[inbox] own_addresses``.
    Mail from one of them is outgoing; none of them is ever a contact. ``domains``: the mailboxes'
    domains, so colleagues in Cc are not contacts either (free-mail domains are ignored there, see
    :func:`.parties.message_parties`).
    """

    addresses: tuple[str, ...]
    domains: tuple[str, ...]
    token_keys: tuple[bytes, ...]
    list_ids: tuple[str, ...] = ()
    #: per mailbox id: mail the server received before this instant is history (``[inbox] backlog_days``
    #: before the mailbox was added): filed, not worked on — see :meth:`is_history`
    history_before: Mapping[int, datetime] = field(default_factory=dict)
    keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        found = (normalise_address(address) for address in self.addresses)
        object.__setattr__(self, "keys", frozenset(each.key for each in found if each))

    def is_ours(self, address: str | None) -> bool:
        normal = normalise_address(address) if address else None
        return normal is not None and normal.key in self.keys

    def is_history(self, row: ArchiveRow) -> bool:
        """Whether the server received the message long before its mailbox was added: the mailbox's past,
        not work for the team (:mod:`.place`, step 8; decision 0021)."""
        before = self.history_before.get(row.mailbox_id)
        return before is not None and (row.internal_date or row.archived_at) < before


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    """The archive row facts the ingest needs (one server copy)."""

    id: int
    mailbox_id: int
    sha256: str
    internal_date: datetime | None
    archived_at: datetime


@dataclass(frozen=True, slots=True)
class Prepared:
    row: ArchiveRow
    parsed: ParsedMessage
    outgoing: bool
    verdict: NoiseVerdict
    bounce: BounceReport | None
    parties: Parties
    #: the Date header, else the server's internal date, else when it was archived
    at: datetime
    #: received long before the mailbox was added (:meth:`Team.is_history`)
    history: bool = False

    @property
    def sender(self) -> str | None:
        return self.parsed.from_[0].address if self.parsed.from_ else None


def prepare(row: ArchiveRow, raw: bytes, team: Team) -> Prepared:
    """Parse ``raw`` (the row's blob) and decide what needs no table: direction, noise, bounce, parties."""
    parsed = parse_message(raw)
    outgoing = any(team.is_ours(address.address) for address in parsed.from_[:1])
    verdict = classify(parsed, own_list_ids=team.list_ids)
    bounce = read_bounce(parsed, raw) if verdict.kind == "bounce" else None
    parties = Parties((), ())
    if verdict.is_person:
        # noise names no customer: a bounce's From is a mailer daemon, an auto-reply's adds nothing
        parties = message_parties(
            parsed, outgoing=outgoing, own_addresses=team.addresses, own_domains=team.domains
        )
    at = written_at(parsed, row)
    return Prepared(row, parsed, outgoing, verdict, bounce, parties, at, team.is_history(row))


def written_at(parsed: ParsedMessage, row: ArchiveRow) -> datetime:
    """When the message was written: its Date, unless that is later than the server received it (with
    :data:`CLOCK_SKEW` to spare) — a sender's clock years ahead would make its message the "newest" of
    its conversation for ever, and let it decide the status. Without a Date: when the server got it."""
    received = row.internal_date or row.archived_at
    if parsed.date is None or parsed.date > received + CLOCK_SKEW:
        return received
    return parsed.date


def prepare_many(store: BlobStore, rows: Sequence[ArchiveRow], team: Team) -> list[Prepared]:
    """:func:`prepare` for each row; a blob read once for copies in several folders. A blob that cannot
    be read raises (``StorageError``): a broken archive must stop the ingest, not look like no mail."""
    raws: dict[str, bytes] = {}
    out = []
    for row in rows:
        raw = raws.get(row.sha256)
        if raw is None:
            raw = raws[row.sha256] = store.read(row.sha256)
        out.append(prepare(row, raw, team))
    return out


_WARM_UP = (
    b"From: Anna Weber <anna@weber-gmbh.de>\r\nTo: sales@example.test\r\nSubject: Inquiry\r\n"
    b"Message-ID: <warm-up@mailwarden.invalid>\r\nDate: Mon, 1 Jun 2026 09:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Please send your best price.\r\n\r\nAnna Weber\r\nBerlin\r\n"
)


def warm_up(team: Team) -> None:
    """Prepare one made-up message and throw it away: loads the language model (1.6 s here), the public
    suffix list and the parsers once, at start, instead of delaying the first real inquiry by as much."""
    from datetime import UTC, datetime

    moment = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    prepare(ArchiveRow(0, 0, "0" * 64, moment, moment), _WARM_UP, team)
