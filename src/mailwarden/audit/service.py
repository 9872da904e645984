"""Recording events and verifying a chain: the audit package's public face.

:func:`record` runs inside the caller's transaction, so an event commits or rolls back with the action it
records: a purge that fails leaves no "purged" event, and no purge happens without one.

Appending takes the chain's head row first, with ``UPDATE audit_heads SET seq = seq + 1 ... RETURNING`` —
a write, so concurrent appenders queue on it (PostgreSQL's row lock; SQLite's write lock, which pysqlite
takes at the first write of a transaction, waiting up to the busy timeout) and each one sees the head the
one before it committed. Then the event is inserted and the head's hash set, conditionally on the seq it was
given. An append is three statements, whatever the chain's length.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.audit.chain import GENESIS, canonical, event_hash, normalize_detail
from mailwarden.audit.errors import AuditError
from mailwarden.audit.models import AuditEvent, AuditHead
from mailwarden.core import clock

__all__ = ["CHAIN", "Break", "ChainReport", "check_link", "local_actor", "record", "verify_chain"]

#: the archive's chain
CHAIN = "audit"
#: events read at a time while verifying
_PAGE = 2000


def local_actor() -> str:
    """Who runs the command line: ``cli:<os user>@<host>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container): the number still says who
        import os

        user = f"uid{os.getuid()}"
    return f"cli:{user}@{socket.gethostname()}"


async def _advance(session: AsyncSession, chain: str) -> tuple[int, str]:
    """Take the next seq of ``chain`` (creating its head on first use); returns (seq, prev_hash)."""
    step = (
        update(AuditHead)
        .where(AuditHead.chain == chain)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    )
    row = (await session.execute(step)).first()
    if row is None:
        bind = session.get_bind()
        if bind.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        first = insert(AuditHead).values(chain=chain, seq=0, hash=GENESIS)
        await session.execute(first.on_conflict_do_nothing(index_elements=["chain"]))
        row = (await session.execute(step)).first()
        if row is None:
            raise AuditError(chain=chain)
    return int(row[0]), str(row[1])


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
    chain: str = CHAIN,
) -> AuditEvent:
    """Append an event to ``chain`` in the caller's transaction (the caller commits)."""
    seq, prev = await _advance(session, chain)
    at = clock.now()
    clean = normalize_detail(detail)
    digest = event_hash(
        prev,
        canonical(chain=chain, seq=seq, at=at, actor=actor, action=action, target=target, detail=clean),
    )
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        detail=clean,
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    done = await session.execute(
        update(AuditHead).where(AuditHead.chain == chain, AuditHead.seq == seq).values(hash=digest)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise AuditError(chain=chain)
    await session.flush()
    return event


@dataclass(frozen=True)
class Break:
    """The first broken link: ``kind`` is ``modified``, ``missing`` (a deleted event), ``truncated``
    (events deleted at the end), ``head`` (the head row disagrees) or ``anchor`` (``--expect-head`` is not
    in the chain)."""

    kind: str
    seq: int | None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "detail": self.detail}


@dataclass
class ChainReport:
    chain: str
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    broken: Break | None = None
    #: where ``expect_head`` was found
    anchor_seq: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken": self.broken.as_dict() if self.broken else None,
            "anchor_seq": self.anchor_seq,
        }


def check_link(event: AuditEvent, expected_seq: int, prev: str) -> Break | None:
    if event.seq != expected_seq:
        return Break("missing", expected_seq, f"the next event present is {event.seq}")
    if event.prev_hash != prev:
        return Break("modified", event.seq, f"{event.action} {event.target}: prev_hash does not link")
    encoded = canonical(
        chain=event.chain,
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        action=event.action,
        target=event.target,
        detail=event.detail,
    )
    if event_hash(prev, encoded) != event.hash:
        return Break("modified", event.seq, f"{event.action} {event.target}: the hash does not match")
    return None


async def verify_chain(
    session: AsyncSession, chain: str = CHAIN, *, expect_head: str | None = None
) -> ChainReport:
    """Walk ``chain`` in seq order, recompute every hash, and name the first broken link.

    ``expect_head`` is a head hash written down earlier: it must be the hash of some event of the chain (the
    chain may have grown since). Events deleted from the end and the head row rewritten to match are found
    only this way — which is why operations.md says to write the head down somewhere else.
    """
    report = ChainReport(chain)
    prev, expected, last = GENESIS, 1, 0
    wanted = expect_head.strip().lower() if expect_head else None
    while report.broken is None:
        page = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.chain == chain, AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(_PAGE)
            )
        ).all()
        for event in page:
            report.broken = check_link(event, expected, prev)
            if report.broken is not None:
                break
            prev, expected, last = event.hash, event.seq + 1, event.seq
            report.events += 1
            if wanted is not None and event.hash == wanted:
                report.anchor_seq = event.seq
        for event in page:
            session.expunge(event)  # a million events must not pile up in the session
        if len(page) < _PAGE:
            break
    report.head_seq, report.head_hash = last, prev
    if report.broken is None:
        report.broken = await _check_head(session, chain, last, prev)
    if report.broken is None and wanted is not None and report.anchor_seq is None and wanted != GENESIS:
        report.broken = Break("anchor", None, f"no event of the chain has the hash {wanted}")
    return report


async def _check_head(session: AsyncSession, chain: str, last: int, prev: str) -> Break | None:
    head = await session.get(AuditHead, chain)
    if head is None:
        return Break("head", None, "the chain has no head row") if last else None
    if head.seq > last:
        return Break("truncated", last + 1, f"the head says {head.seq} events; the chain ends at {last}")
    if head.seq != last or head.hash != prev:
        return Break("head", head.seq, f"the head ({head.seq}, {head.hash}) is not the last event")
    return None
