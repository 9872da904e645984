"""The worker's bookkeeping on the outbox: what it claims, gives back, settles, and records per request.

Kept apart from :mod:`.worker` (the delivery decisions) so that each reads in one sitting. Every write here
checks the row is still claimed by this worker; one that is not raises :class:`LeaseLost`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update

from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost
from mailwarden.db.engine import Database
from mailwarden.notify import pacing
from mailwarden.notify.models import Attempt, OutboxItem
from mailwarden.notify.transports.http import MAX_ANSWER

if TYPE_CHECKING:
    from mailwarden.notify.worker import WorkerOptions

__all__ = ["OutboxBook"]


class OutboxBook:
    """Needs ``db``, ``name`` (the claim holder) and ``options`` (hold, digest size) from the worker."""

    db: Database
    name: str
    options: WorkerOptions

    async def _recent_starts(self, channel_id: int, now: datetime) -> list[datetime]:
        async with self.db.session() as session:
            found = await session.scalars(
                select(Attempt.started_at).where(
                    Attempt.channel_id == channel_id, Attempt.started_at > now - pacing.WINDOW
                )
            )
            return list(found.all())

    async def _claim_followers(self, channel_id: int, head: OutboxItem, now: datetime) -> list[OutboxItem]:
        """The alerts queued behind the head, for a digest. Only the head's holder can claim them: while the
        head is claimed, none of them is a head."""
        async with self.db.session() as session, session.begin():
            ids = list(
                (
                    await session.scalars(
                        select(OutboxItem.id)
                        .where(
                            OutboxItem.channel_id == channel_id,
                            # a follower claimed by a worker that died counts: skipping it would break order
                            or_(
                                OutboxItem.state == "ready",
                                and_(OutboxItem.state == "claimed", OutboxItem.claimed_until < now),
                            ),
                            OutboxItem.id > head.id,
                            OutboxItem.run_after <= now,
                        )
                        .order_by(OutboxItem.id)
                        .limit(self.options.digest_max - 1)
                    )
                ).all()
            )
            if not ids:
                return []
            claimed = await session.scalars(
                update(OutboxItem)
                .where(
                    OutboxItem.id.in_(ids),
                    or_(
                        OutboxItem.state == "ready",
                        and_(OutboxItem.state == "claimed", OutboxItem.claimed_until < now),
                    ),
                )
                .values(state="claimed", claimed_by=self.name, claimed_until=now + self.options.hold)
                .returning(OutboxItem)
                .execution_options(synchronize_session=False)
            )
            return sorted(claimed.all(), key=lambda r: r.id)

    async def _release(self, row_id: int, when: datetime) -> None:
        """Give a claimed row back untouched (paced, or its channel is disabled): not a failure."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == row_id, OutboxItem.claimed_by == self.name)
                .values(state="ready", claimed_by=None, claimed_until=None, run_after=when)
                .execution_options(synchronize_session=False)
            )

    async def _finish(
        self, session: Any, attempt: Attempt, outcome: str, *, status: int | None, answer: str | None
    ) -> None:
        await session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id)
            .values(
                outcome=outcome,
                finished_at=clock.now(),
                status=status,
                answer=(answer or "")[:MAX_ANSWER] or None,
            )
        )

    async def _settle(
        self,
        session: Any,
        rows: Sequence[OutboxItem],
        values: dict[str, Any],
        *,
        head_values: dict[str, Any] | None = None,
        follower_values: dict[str, Any] | None = None,
    ) -> None:
        """Move our claimed rows on, checking each is still ours (else :class:`LeaseLost`)."""
        base = {**values, "claimed_by": None, "claimed_until": None}
        for n, row in enumerate(rows):
            extra = (head_values or {}) if n == 0 else (follower_values or {})
            result = await session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == row.id,
                    OutboxItem.state == "claimed",
                    OutboxItem.claimed_by == self.name,
                )
                .values(**base, **extra)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise LeaseLost(name=f"notify_outbox:{row.id}")
