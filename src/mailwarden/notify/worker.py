"""The delivery worker: claims the head of each channel's queue, paces it, sends it once, records the outcome.

Order: only a channel's oldest undelivered alert can be claimed (a later one waits while an earlier one is
ready, claimed or backing off), so a channel's alerts arrive in the order they were raised, and a channel
never has two requests in flight — which also makes its rate limit exact across any number of workers.

Once: before a request leaves, an :class:`Attempt` row is committed. A worker that finds an attempt without
an outcome on the row it just claimed knows a predecessor died (or lost its claim) mid-request: the receiver
may or may not have posted the message, and a chat bot cannot be asked. Sending again could post it twice,
so the alert is marked ``unknown`` — visible in ``mailwarden notify outbox`` and resent only by an
operator's ``mailwarden notify retry`` — unless the transport's receiver drops repeats itself (the generic
webhook, by its delivery id). The same holds for a request that left and got no answer. Decision 0005.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from mailwarden.core import clock, i18n
from mailwarden.core.errors import LeaseLost, MailwardenError, SystemFailure, UserError
from mailwarden.core.secrets import SecretBox
from mailwarden.db import queue
from mailwarden.db.engine import Database
from mailwarden.notify import pacing, service
from mailwarden.notify.alerts import Alert, Rendered, digest, render
from mailwarden.notify.book import OutboxBook
from mailwarden.notify.errors import DeliveryError
from mailwarden.notify.models import Attempt, Channel, OutboxItem
from mailwarden.notify.transports import TRANSPORTS, Context, Transport
from mailwarden.notify.transports.http import HTTP

__all__ = ["Event", "Worker", "WorkerOptions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    #: how long a claim lasts: longer than a request can take (timeout) plus the bookkeeping around it
    hold: timedelta = timedelta(seconds=60)
    #: channels served at once
    batch: int = 8
    backoff_base: float = 15.0
    backoff_cap: float = 300.0
    #: a transient failure older than this becomes a failure (the alert is kept, marked failed)
    give_up_after: timedelta = timedelta(hours=24)
    #: at most this many alerts in one digest message
    digest_max: int = 50
    #: pause between polls when there is nothing to do, in seconds
    poll: float = 1.0
    #: the administrator's ``[notify] allow_private_targets``: without it no channel reaches private addresses
    allow_private_targets: bool = False


@dataclass(frozen=True)
class Event:
    """What happened to one request, for the CLI's progress lines and for tests."""

    channel: str
    outcome: str  # sent | retry | failed | disabled | unknown | paced
    keys: tuple[str, ...]
    detail: str = ""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker(OutboxBook):
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        http: HTTP,
        options: WorkerOptions | None = None,
        *,
        name: str | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.http = http
        self.options = options or WorkerOptions()
        self.name = name or worker_name()
        self.on_event = on_event
        self.context = Context(http=http, db=db, box=box)

    # -- the loop --------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set. A request under way is finished, never cut (that would put it in
        doubt); then the loop ends."""
        while not stop.is_set():
            try:
                busy = await self.tick()
            except SystemFailure as exc:  # the database is away: say so, wait, try again
                log.warning("notify worker: %s", exc)
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.options.poll)

    async def tick(self) -> int:
        """Claim the due channel heads and deliver them, concurrently; returns how many were claimed."""
        earlier = aliased(OutboxItem)
        is_head = ~exists().where(
            earlier.channel_id == OutboxItem.channel_id,
            earlier.id < OutboxItem.id,
            earlier.state.in_(("ready", "claimed")),
        )
        enabled = OutboxItem.channel_id.in_(select(Channel.id).where(Channel.enabled.is_(True)))
        rows = await queue.claim(
            self.db,
            OutboxItem,
            self.name,
            hold=self.options.hold,
            limit=self.options.batch,
            where=[is_head, enabled],
        )
        if rows:
            await asyncio.gather(*(self._deliver_guarded(row) for row in rows))
        return len(rows)

    async def drain(self, *, max_ticks: int = 10_000) -> int:
        """Tick until nothing is due (tests, ``notify worker --once``); returns the rows claimed."""
        total = 0
        for _ in range(max_ticks):
            claimed = await self.tick()
            if not claimed:
                break
            total += claimed
        return total

    async def _deliver_guarded(self, row: OutboxItem) -> None:
        try:
            await self._deliver(row)
        except LeaseLost as exc:
            log.warning("notify: %s (another worker took the alert over)", exc)

    # -- one channel head ------------------------------------------------------------------------------

    async def _deliver(self, row: OutboxItem) -> None:
        async with self.db.session() as session:
            channel = await session.get(Channel, row.channel_id)
            open_attempt = await session.scalar(
                select(Attempt).where(Attempt.outbox_id == row.id, Attempt.outcome.is_(None))
            )
        if channel is None or not channel.enabled:
            await self._release(row.id, clock.now())
            return
        transport_cls = TRANSPORTS[channel.kind]
        if open_attempt is not None and await self._in_doubt(channel, row, open_attempt, transport_cls):
            return
        now = clock.now()
        limit = channel.rate_per_minute or transport_cls.rate_per_minute
        recent = await self._recent_starts(channel.id, now) if limit else []
        if limit:
            slot = pacing.next_slot(recent, limit, now)
            if slot is not None:
                await self._release(row.id, slot)
                self._emit(Event(channel.name, "paced", (row.alert_key,), slot.isoformat()))
                return
        rows = [row]
        if channel.digest and limit and pacing.budget(recent, limit, now) <= 1:
            rows += await self._claim_followers(channel.id, row, now)
        await self._send(channel, transport_cls, rows)

    async def _send(self, channel: Channel, transport_cls: type[Transport], rows: list[OutboxItem]) -> None:
        head = rows[0]
        alerts = [Alert.from_dict(r.alert) for r in rows]
        message: Rendered = (
            render(alerts[0], channel.language) if len(rows) == 1 else digest(alerts, channel.language)
        )
        attempt = Attempt(
            channel_id=channel.id,
            outbox_id=head.id,
            covers=[r.id for r in rows],
            worker=self.name,
            started_at=clock.now(),
        )
        # Committed before the request leaves: the record a successor needs to know we may have sent it.
        async with self.db.session() as session, session.begin():
            session.add(attempt)
        keys = tuple(r.alert_key for r in rows)
        try:
            target = service.target(channel, self.box, private_targets=self.options.allow_private_targets)
            transport = transport_cls(target, self.context)
            answer = await transport.send(message)
        except DeliveryError as exc:
            await self._failed(channel, transport_cls, rows, attempt, exc)
            return
        except MailwardenError as exc:
            # network and TLS failures (transient), or our own configuration (key, mailbox) being wrong
            await self._failed(channel, transport_cls, rows, attempt, exc)
            return
        now = clock.now()
        async with self.db.session() as session, session.begin():
            await self._finish(session, attempt, "ok", status=200, answer=answer)
            await self._settle(
                session,
                rows,
                {"state": "done", "sent_at": now, "last_error": None},
                follower_values={"digest_of": head.id},
            )
            await session.execute(update(Channel).where(Channel.id == channel.id).values(last_ok_at=now))
        log.info("notify: %s delivered %d alert(s) to channel %s", self.name, len(rows), channel.name)
        self._emit(Event(channel.name, "sent", keys, f"digest of {len(rows)}" if len(rows) > 1 else ""))

    async def _failed(
        self,
        channel: Channel,
        transport_cls: type[Transport],
        rows: list[OutboxItem],
        attempt: Attempt,
        exc: MailwardenError,
    ) -> None:
        now = clock.now()
        head = rows[0]
        keys = tuple(r.alert_key for r in rows)
        text = exc.render(channel.language)
        status = exc.status if isinstance(exc, DeliveryError) else None
        answer = exc.answer if isinstance(exc, DeliveryError) else str(exc)
        in_doubt = isinstance(exc, DeliveryError) and exc.in_doubt
        async with self.db.session() as session, session.begin():
            await self._finish(
                session, attempt, "interrupted" if in_doubt else "error", status=status, answer=answer
            )
            if in_doubt and not transport_cls.repeat_in_doubt:
                await self._settle(session, rows, {"state": "unknown", "last_error": text})
                outcome = "unknown"
            elif (isinstance(exc, DeliveryError) and exc.disables_channel) or _is_config(exc):
                # every message would fail the same way: stop, keep the queue, show why
                await session.execute(
                    update(Channel)
                    .where(Channel.id == channel.id)
                    .values(enabled=False, last_error=text, last_error_at=now)
                )
                await self._settle(session, rows, _ready(now, text))
                outcome = "disabled"
            elif exc.permanent or now - head.created_at > self.options.give_up_after:
                await self._settle(session, rows, {"state": "failed", "last_error": text})
                outcome = "failed"
            else:
                tries = head.tries + 1
                delay = pacing.backoff(tries, base=self.options.backoff_base, cap=self.options.backoff_cap)
                wish = exc.retry_after if isinstance(exc, DeliveryError) else None
                if wish is not None:
                    delay = max(delay, timedelta(seconds=min(wish, 3600.0)))
                await self._settle(session, rows, _ready(now + delay, text), head_values={"tries": tries})
                await session.execute(
                    update(Channel).where(Channel.id == channel.id).values(last_error=text, last_error_at=now)
                )
                outcome = "retry"
        log.warning("notify: channel %s, %s: %s", channel.name, outcome, text)
        self._emit(Event(channel.name, outcome, keys, text))

    async def _in_doubt(
        self, channel: Channel, row: OutboxItem, attempt: Attempt, transport_cls: type[Transport]
    ) -> bool:
        """A predecessor's request has no recorded outcome. Returns True when the row is settled here."""
        text = i18n.t("notify.in_doubt", channel.language, started=attempt.started_at.isoformat())
        async with self.db.session() as session, session.begin():
            await self._finish(session, attempt, "interrupted", status=None, answer=None)
            if transport_cls.repeat_in_doubt:
                return False
            covered = [row]
            if len(attempt.covers) > 1:  # a digest: its other rows were claimed with the head
                more = await session.scalars(
                    select(OutboxItem).where(OutboxItem.id.in_([i for i in attempt.covers if i != row.id]))
                )
                covered += list(more.all())
            ids = [r.id for r in covered]
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids), OutboxItem.state == "claimed")
                .values(state="unknown", last_error=text, claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
        log.warning("notify: channel %s: alert %s is in doubt, not resent", channel.name, row.alert_key)
        self._emit(Event(channel.name, "unknown", tuple(r.alert_key for r in covered), text))
        return True

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)


def _ready(when: datetime, error: str) -> dict[str, Any]:
    return {"state": "ready", "run_after": when, "last_error": error}


def _is_config(exc: MailwardenError) -> bool:
    """Our side is wrong (a key that cannot decrypt, a mailbox that is gone): a person must act."""
    return isinstance(exc, UserError)
