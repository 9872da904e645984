"""Live mode against the real lab Dovecot, with the network faults of the fault proxy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy import func, select

from mailwarden.archive.models import Message, SyncRun
from mailwarden.core.secrets import SecretValue
from mailwarden.db import lease
from mailwarden.sync.engine import SyncOptions
from mailwarden.sync.watch import WatchOptions, watch

from archive_env import Archive, make_message
from lab.faultproxy import FaultProxy

FAST = WatchOptions(reconcile_every=3600, backoff_first=0.05, backoff_max=0.5, step_timeout=10)


async def count(archive: Archive, subject: str) -> int:
    async with archive.db.session() as session:
        return int(await session.scalar(select(func.count()).where(Message.subject == subject)) or 0)


async def eventually(check: Callable[[], object], seconds: float = 30.0) -> None:
    """Poll an async check until it is true; generous bound, no timing asserted."""
    for _ in range(int(seconds / 0.05)):
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not within the bound")


def start(archive: Archive, options: WatchOptions = FAST) -> asyncio.Task[None]:
    return asyncio.create_task(
        watch(
            archive.db,
            archive.store,
            archive.mailbox,
            lambda: SecretValue(archive.user.password),
            options=options,
            sync_options=SyncOptions(),
        )
    )


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_delivered_message_is_archived_while_watching(archive: Archive) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("before"))
    before_view = archive.dovecot.folder_view(archive.user.address)
    task = start(archive)
    try:
        await eventually(lambda: count(archive, "before"))
        archive.dovecot.deliver(archive.user.address, make_message("live inquiry 询盘"))
        await eventually(lambda: count(archive, "live inquiry 询盘"))
    finally:
        await stop(task)
    assert await lease.holder_of(archive.db, f"sync:mailbox:{archive.mailbox.id}") is None
    after_view = archive.dovecot.folder_view(archive.user.address)
    assert after_view[: len(before_view)] == before_view  # the source is untouched


async def test_it_survives_the_server_dropping_the_connection(
    archive: Archive, fault_proxy: Callable[[int], FaultProxy]
) -> None:
    proxy = fault_proxy(archive.dovecot.imaps_port)
    archive.mailbox.imap_port = proxy.port  # every connection of the watcher goes through the proxy
    task = start(archive)
    try:
        archive.dovecot.deliver(archive.user.address, make_message("first"))
        await eventually(lambda: count(archive, "first"))
        proxy.drop_all()  # the server restarts under the IDLE
        archive.dovecot.deliver(archive.user.address, make_message("after the restart"))
        await eventually(lambda: count(archive, "after the restart"))
    finally:
        await stop(task)
    assert proxy.connections_accepted >= 2
    async with archive.db.session() as session:
        statuses = list(await session.scalars(select(SyncRun.status)))
    assert "ok" in statuses


async def test_mail_arriving_between_a_pass_and_idle_is_not_left_for_the_reconcile(archive: Archive) -> None:
    """GIVEN a message delivered right after a pass, before IDLE starts (the server will not announce it
    during IDLE) THEN the watcher still archives it now, not at the next reconcile an hour later."""
    delivered: list[str] = []

    def deliver_once(run: SyncRun, outcome: object) -> None:
        if not delivered:
            archive.dovecot.deliver(archive.user.address, make_message("in the gap"))
            delivered.append("in the gap")

    task = asyncio.create_task(
        watch(
            archive.db,
            archive.store,
            archive.mailbox,
            lambda: SecretValue(archive.user.password),
            options=FAST,
            on_pass=deliver_once,
        )
    )
    try:
        await eventually(lambda: count(archive, "in the gap"))
    finally:
        await stop(task)
