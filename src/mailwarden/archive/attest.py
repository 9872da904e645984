"""``archive attest``: the audit chain, the seals and the blobs checked in one pass, each break named.

* the audit chain (:func:`mailwarden.audit.service.verify_chain`), optionally against a head hash written
  down earlier;
* the seals (:func:`.seals.verify_seals`), recomputed from the message rows as they are now;
* with ``blobs``, every blob a live (un-purged) row needs, decompressed and re-hashed: its bytes must still
  hash to its name. A purged blob is expected to be absent and is not looked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder, Message
from mailwarden.archive.seals import SealReport, verify_seals
from mailwarden.audit.models import AuditHead
from mailwarden.audit.service import CHAIN, ChainReport, verify_chain
from mailwarden.db.engine import Database

__all__ = ["AttestReport", "BlobReport", "attest", "live_blobs"]

#: blobs hashed per thread hop
_GROUP = 64
#: broken blobs listed by name (all are counted)
_LISTED = 100


@dataclass
class BlobReport:
    checked: int = 0
    missing: int = 0
    damaged: int = 0
    #: the first broken blobs, each with one message that needs it
    broken: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.damaged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "missing": self.missing,
            "damaged": self.damaged,
            "broken": self.broken,
        }


@dataclass
class AttestReport:
    audit: ChainReport
    seals: SealReport
    blobs: BlobReport | None
    #: the other audit chains (the team inbox's ``inbox``), by name
    chains: dict[str, ChainReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        others = all(report.ok for report in self.chains.values())
        return self.audit.ok and others and self.seals.ok and (self.blobs is None or self.blobs.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "audit": self.audit.as_dict(),
            "chains": {name: report.as_dict() for name, report in self.chains.items()},
            "seals": self.seals.as_dict(),
            "blobs": self.blobs.as_dict() if self.blobs else None,
        }


async def live_blobs(db: Database, mailbox_ids: Sequence[int] | None = None) -> list[str]:
    """The blobs un-purged rows need (of ``mailbox_ids``, or all), each once."""
    query = select(Message.sha256).where(Message.purged_at.is_(None)).distinct().order_by(Message.sha256)
    if mailbox_ids is not None:
        query = query.where(Message.mailbox_id.in_(mailbox_ids))
    async with db.session() as session:
        return list(await session.scalars(query))


def _check_group(store: BlobStore, shas: Sequence[str]) -> list[tuple[str, str]]:
    broken = []
    for sha in shas:
        if not store.verify(sha):
            broken.append((sha, "damaged" if store.path_for(sha).exists() else "missing"))
    return broken


async def _where(db: Database, sha: str) -> dict[str, Any]:
    async with db.session() as session:
        row = (
            await session.execute(
                select(Folder.name, Message.uid, Message.message_id)
                .join(Folder, Message.folder_id == Folder.id)
                .where(Message.sha256 == sha, Message.purged_at.is_(None))
                .order_by(Message.id)
                .limit(1)
            )
        ).first()
    return {"folder": row[0], "uid": row[1], "message_id": row[2]} if row else {}


async def check_blobs(
    db: Database,
    store: BlobStore,
    shas: Sequence[str],
    on_progress: Callable[[int], None] | None = None,
) -> BlobReport:
    report = BlobReport()
    for i in range(0, len(shas), _GROUP):
        group = shas[i : i + _GROUP]
        for sha, kind in await asyncio.to_thread(_check_group, store, group):
            setattr(report, kind, getattr(report, kind) + 1)
            if len(report.broken) < _LISTED:
                report.broken.append({"sha256": sha, "kind": kind, **await _where(db, sha)})
        report.checked += len(group)
        if on_progress is not None:
            on_progress(len(group))
    return report


async def attest(
    db: Database,
    store: BlobStore,
    *,
    mailbox_ids: Sequence[int] | None = None,
    blobs: bool = True,
    expect_head: str | None = None,
    expect_seal: str | None = None,
    on_blobs: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> AttestReport:
    """Check all three; ``on_blobs(total)`` is called before the blob pass, ``on_progress(n)`` as it goes.
    Seals cover every mailbox together, so ``mailbox_ids`` narrows the blob pass only."""
    async with db.session() as session:
        chain = await verify_chain(session, expect_head=expect_head)
        names = await session.scalars(
            select(AuditHead.chain).where(AuditHead.chain != CHAIN).order_by(AuditHead.chain)
        )
        chains = {name: await verify_chain(session, name) for name in list(names)}
    seals = await verify_seals(db, expect_head=expect_seal)
    blob_report = None
    if blobs:
        shas = await live_blobs(db, mailbox_ids)
        if on_blobs is not None:
            on_blobs(len(shas))
        blob_report = await check_blobs(db, store, shas, on_progress)
    return AttestReport(chain, seals, blob_report, chains)
