"""Channels (add, list, remove, enable) and the outbox (enqueue, list, requeue): notify's public face.

Alerts are queued for every channel that wants their kind, enabled or not: a channel disabled by a permanent
error keeps its queue, and delivers it in order once someone fixes and re-enables it. Nothing is dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.core import clock, i18n
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.core.secrets import SecretBox
from mailwarden.db.engine import Database
from mailwarden.db.named import get_named, list_named, remove_named
from mailwarden.notify.alerts import ALERT_KINDS, Alert
from mailwarden.notify.guard import check_url, redact_url
from mailwarden.notify.models import Channel, OutboxItem
from mailwarden.notify.transports import Target, transport_for
from mailwarden.notify.transports.console import stream_name
from mailwarden.notify.transports.email import recipients

__all__ = [
    "ChannelSpec",
    "add_channel",
    "enqueue",
    "enqueue_in",
    "get_channel",
    "list_channels",
    "list_outbox",
    "remove_channel",
    "requeue",
    "set_enabled",
    "target",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    kind: str
    url: str
    secret: str | None = None
    allow_private: bool = False
    language: str = i18n.EN
    rate_per_minute: int | None = None
    digest: bool = False
    alert_kinds: Sequence[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self, *, private_targets: bool = False) -> None:
        """Check the spec; ``private_targets`` is the administrator's ``[notify] allow_private_targets``,
        without which ``allow_private`` is refused rather than stored to no effect."""
        if not _NAME.match(self.name):
            raise InputError(detail=f"channel name {self.name!r}: letters, digits and . _ @ + - only")
        transport = transport_for(self.kind)
        if self.allow_private and not private_targets:
            raise InputError("notify.private_not_permitted")
        if self.kind == "email":
            # a mailto: URL has no host to guard: mail goes through the named mailbox's own server
            recipients(self.url)
            if not self.options.get("mailbox"):
                raise InputError("notify.email_needs_mailbox", name=self.name)
        elif self.kind == "console":
            stream_name(self.url)  # no host to guard: it is this process's own output
        else:
            check_url(self.url, allow_private=self.allow_private, schemes=transport.schemes)
        if self.secret is not None and not self.secret:
            raise InputError(detail="the secret is empty")
        if self.rate_per_minute is not None and self.rate_per_minute < 1:
            raise InputError(detail="--rate must be at least 1 message a minute")
        for kind in self.alert_kinds or ():
            if kind not in ALERT_KINDS:
                raise InputError("notify.unknown_alert_kind", kind=kind, kinds=", ".join(ALERT_KINDS))


async def add_channel(
    db: Database, box: SecretBox, spec: ChannelSpec, *, private_targets: bool = False
) -> Channel:
    """Store a channel. ``private_targets``: the administrator's switch (see :meth:`ChannelSpec.validate`)."""
    spec.validate(private_targets=private_targets)
    channel = Channel(
        uid=uuid.uuid4().hex,  # the ciphertexts' associated data: it must exist before encrypting
        name=spec.name,
        kind=spec.kind,
        url_shown=redact_url(spec.url),
        allow_private=spec.allow_private,
        language=i18n.normalize(spec.language),
        rate_per_minute=spec.rate_per_minute,
        digest=spec.digest,
        alert_kinds=list(spec.alert_kinds) if spec.alert_kinds else None,
        options=dict(spec.options),
    )
    channel.url_secret = box.encrypt(spec.url.strip(), context=channel.context("url"))
    if spec.secret is not None:
        channel.secret_cipher = box.encrypt(spec.secret, context=channel.context("secret"))
    async with db.session() as session:
        if await session.scalar(select(Channel.id).where(Channel.name == spec.name)) is not None:
            raise ConflictError("notify.channel_exists", name=spec.name)
        session.add(channel)
        try:
            await session.commit()
        except IntegrityError:
            raise ConflictError("notify.channel_exists", name=spec.name) from None
    return channel


async def list_channels(db: Database) -> list[Channel]:
    return await list_named(db, Channel, Channel.name)


async def get_channel(db: Database, name: str) -> Channel:
    return await get_named(db, Channel, Channel.name, name, "notify.channel_not_found")


async def remove_channel(db: Database, name: str) -> None:
    await remove_named(db, Channel, Channel.name, name, "notify.channel_not_found")


async def set_enabled(db: Database, name: str, enabled: bool) -> Channel:
    """Enable (after fixing what disabled it) or disable a channel. Its queue is kept either way."""
    channel = await get_channel(db, name)
    async with db.session() as session, session.begin():
        await session.execute(update(Channel).where(Channel.id == channel.id).values(enabled=enabled))
    channel.enabled = enabled
    return channel


def target(channel: Channel, box: SecretBox, *, private_targets: bool = False) -> Target:
    """The channel with its URL and secret decrypted, for a transport. The channel reaches private
    addresses only while the administrator's switch (``private_targets``) is on as well: turning it off
    takes effect at the next request, for channels added before."""
    url = box.decrypt(channel.url_secret, context=channel.context("url")).reveal()
    secret = (
        box.decrypt(channel.secret_cipher, context=channel.context("secret"))
        if channel.secret_cipher is not None
        else None
    )
    return Target(
        name=channel.name,
        kind=channel.kind,
        url=url,
        secret=secret,
        allow_private=channel.allow_private and private_targets,
        options=dict(channel.options or {}),
    )


async def enqueue(db: Database, alert: Alert, channels: Sequence[str] | None = None) -> int:
    """Queue ``alert`` for each channel that wants it (or the named ones); returns the rows added.

    Idempotent: an alert key already queued for a channel is not queued again, whatever its state.
    """
    async with db.session() as session, session.begin():
        return await enqueue_in(session, alert, channels)


async def enqueue_in(session: AsyncSession, alert: Alert, channels: Sequence[str] | None = None) -> int:
    """:func:`enqueue` inside the caller's transaction: the alert is queued if and only if the change that
    raised it commits (an SLA breach with its timeline event, an assignment with its ``inquiry.new``)."""
    query = select(Channel)
    if channels is not None:
        query = query.where(Channel.name.in_(list(channels)))
    found = list((await session.scalars(query)).all())
    if channels is not None:
        missing = set(channels) - {c.name for c in found}
        if missing:
            raise NotFoundError("notify.channel_not_found", name=", ".join(sorted(missing)))
    wanted = [c for c in found if c.alert_kinds is None or alert.kind in c.alert_kinds]
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    added = 0
    data = alert.as_dict()
    for channel in wanted:
        stmt = (
            insert(OutboxItem)
            .values(
                channel_id=channel.id,
                alert_key=alert.key,
                alert_kind=alert.kind,
                alert=data,
                state="ready",
                run_after=clock.now(),
                attempts=0,
                tries=0,
                created_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "alert_key"])
        )
        result = await session.execute(stmt)
        added += result.rowcount  # type: ignore[attr-defined]
    return added


async def list_outbox(
    db: Database, *, state: str | None = None, channel: str | None = None, limit: int = 200
) -> list[tuple[OutboxItem, str]]:
    query = select(OutboxItem, Channel.name).join(Channel, Channel.id == OutboxItem.channel_id)
    if state is not None:
        query = query.where(OutboxItem.state == state)
    if channel is not None:
        query = query.where(Channel.name == channel)
    query = query.order_by(OutboxItem.id.desc()).limit(limit)
    async with db.session() as session:
        return [(item, name) for item, name in (await session.execute(query)).all()]


async def requeue(db: Database, item_id: int) -> tuple[OutboxItem, str]:
    """Send an alert that is in doubt or failed again — the operator's decision, since it may duplicate.
    Returns the item and its channel's name."""
    async with db.session() as session, session.begin():
        item = await session.get(OutboxItem, item_id)
        if item is None:
            raise NotFoundError("notify.outbox_not_found", name=str(item_id))
        if item.state not in ("unknown", "failed"):
            raise InputError("notify.requeue_state", id=item_id, state=item.state)
        item.state, item.run_after, item.claimed_by, item.claimed_until = "ready", clock.now(), None, None
        channel = await session.get(Channel, item.channel_id)
    return item, channel.name if channel is not None else str(item.channel_id)
