"""A sync pass against the real lab Dovecot: complete, read-only, incremental, and never deleting."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest
from sqlalchemy import func, select

from mailwarden.archive.models import Blob, FlagChange, Folder, Message, SyncAlert, SyncRun
from mailwarden.imap import utf7

from archive_env import Archive, make_message


def server_bodies(archive: Archive, folder: str = "INBOX") -> dict[int, str]:
    """UID -> sha256 of BODY.PEEK[] as the server serves it (stdlib imaplib, read-only)."""
    with archive.imap() as imap:
        imap.select(f'"{utf7.encode(folder).decode()}"', readonly=True)
        _, data = imap.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        result = {}
        for item in data:
            if isinstance(item, tuple):
                uid = int(item[0].split(b"UID ")[1].split()[0])
                result[uid] = hashlib.sha256(item[1]).hexdigest()
        return result


async def live(archive: Archive, folder: str = "INBOX") -> dict[int, str]:
    async with archive.db.session() as session:
        rows = await session.execute(
            select(Message.uid, Message.sha256)
            .join(Folder, Folder.id == Message.folder_id)
            .where(Folder.name == folder, Folder.state == "active", Message.gone_at.is_(None))
        )
        return dict(rows.all())


async def test_the_first_pass_archives_every_folder_exactly(archive: Archive) -> None:
    user = archive.user.address
    for i in range(5):
        archive.dovecot.deliver(user, make_message(f"询盘 {i}"))
    archive.dovecot.create_folder(user, "客户/ACME")
    archive.append("客户/ACME", make_message("Proforma Invoice"), flags="\\Seen")
    outcome = await archive.sync()
    assert outcome.total("fetched") == 6
    assert await live(archive) == server_bodies(archive)
    assert await live(archive, "客户/ACME") == server_bodies(archive, "客户/ACME")
    async with archive.db.session() as session:
        run = await session.scalar(select(SyncRun))
        subjects = set(await session.scalars(select(Message.subject)))
    assert run is not None
    assert run.status == "ok"
    assert run.fetched == 6
    assert subjects == {f"询盘 {i}" for i in range(5)} | {"Proforma Invoice"}


async def test_a_second_pass_with_no_change_fetches_nothing(archive: Archive) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("one"))
    await archive.sync()
    outcome = await archive.sync()
    assert outcome.total("fetched") == 0
    assert all(f.skipped for f in outcome.folders)


async def test_new_mail_is_fetched_and_nothing_twice(archive: Archive) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("one"))
    await archive.sync()
    archive.dovecot.deliver(archive.user.address, make_message("two"))
    outcome = await archive.sync()
    assert outcome.total("fetched") == 1
    assert await live(archive) == server_bodies(archive)


async def test_an_expunged_message_becomes_a_tombstone(archive: Archive) -> None:
    for subject in ("keep", "lose"):
        archive.dovecot.deliver(archive.user.address, make_message(subject))
    await archive.sync()
    archive.dovecot.doveadm(
        "expunge", "-u", archive.user.address, "mailbox", "INBOX", "HEADER", "Subject", "lose"
    )
    outcome = await archive.sync()
    assert outcome.total("tombstoned") == 1
    async with archive.db.session() as session:
        gone = await session.scalar(select(Message).where(Message.subject == "lose"))
        blobs = await session.scalar(select(func.count()).select_from(Blob))
    assert gone is not None
    assert gone.gone_reason == "expunged"
    assert archive.store.read(gone.sha256).endswith(b"Please quote FOB Ningbo.\r\n")
    assert blobs == 2


async def test_flag_changes_are_recorded(archive: Archive) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("flag me"))
    await archive.sync()
    archive.dovecot.doveadm(
        "flags", "add", "-u", archive.user.address, "\\Flagged", "mailbox", "INBOX", "ALL"
    )
    outcome = await archive.sync()
    assert outcome.total("flag_changes") == 1
    async with archive.db.session() as session:
        change = await session.scalar(select(FlagChange))
    assert change is not None
    assert "\\Flagged" in change.after


async def test_the_source_is_untouched(archive: Archive) -> None:
    user = archive.user.address
    for i in range(3):
        archive.dovecot.deliver(user, make_message(f"m{i}"))
    before = archive.dovecot.folder_view(user)
    await archive.sync()
    await archive.sync(full=True)
    assert archive.dovecot.folder_view(user) == before
    assert all("\\Seen" not in m.flags for m in before)


async def test_a_uidvalidity_reset_keeps_the_old_and_stores_nothing_twice(archive: Archive) -> None:
    """GIVEN an archived folder WHEN it is deleted and recreated with the same messages plus a new one
    THEN the old generation stays (tombstoned), the new one is archived, and no blob is stored twice."""
    user = archive.user.address
    messages = [make_message(f"order {i}") for i in range(3)]
    archive.dovecot.create_folder(user, "Orders")
    for raw in messages:
        archive.append("Orders", raw)
    await archive.sync()
    archive.dovecot.doveadm("mailbox", "delete", "-u", user, "Orders")
    archive.dovecot.create_folder(user, "Orders")
    for raw in [*messages, make_message("order 3")]:
        archive.append("Orders", raw)
    await archive.sync()
    assert await live(archive, "Orders") == server_bodies(archive, "Orders")
    async with archive.db.session() as session:
        blobs = await session.scalar(select(func.count()).select_from(Blob))
        reasons = list(await session.scalars(select(Message.gone_reason).where(Message.gone_at.is_not(None))))
        alerts = list(await session.scalars(select(SyncAlert.kind)))
    assert blobs == 4
    assert reasons == ["uidvalidity_changed"] * 3
    assert "uidvalidity_changed" in alerts


async def test_a_renamed_folder_is_followed(archive: Archive) -> None:
    user = archive.user.address
    archive.dovecot.create_folder(user, "Quotes")
    archive.append("Quotes", make_message("quote 1"))
    await archive.sync()
    archive.dovecot.doveadm("mailbox", "rename", "-u", user, "Quotes", "Quotes 2026")
    outcome = await archive.sync()
    assert outcome.total("fetched") == 0
    assert len(await live(archive, "Quotes 2026")) == 1
    async with archive.db.session() as session:
        alerts = list(await session.execute(select(SyncAlert.kind, SyncAlert.detail)))
    assert ("folder_renamed", {"old": "Quotes"}) in [tuple(a) for a in alerts]


async def test_a_deleted_folder_keeps_its_messages_as_tombstones(archive: Archive) -> None:
    user = archive.user.address
    archive.dovecot.create_folder(user, "Old")
    archive.append("Old", make_message("old news"))
    await archive.sync()
    archive.dovecot.doveadm("mailbox", "delete", "-u", user, "Old")
    await archive.sync()
    async with archive.db.session() as session:
        row = await session.scalar(select(Message).where(Message.subject == "old news"))
        alerts = list(await session.scalars(select(SyncAlert.kind)))
    assert row is not None
    assert row.gone_reason == "folder_gone"
    assert "folder_gone" in alerts
    assert archive.store.verify(row.sha256)


async def test_a_mass_disappearance_raises_an_alert(archive: Archive) -> None:
    for i in range(12):
        archive.dovecot.deliver(archive.user.address, make_message(f"bulk {i}"))
    await archive.sync()
    archive.dovecot.doveadm("expunge", "-u", archive.user.address, "mailbox", "INBOX", "ALL")
    outcome = await archive.sync()
    assert outcome.total("tombstoned") == 12
    async with archive.db.session() as session:
        alert = await session.scalar(select(SyncAlert).where(SyncAlert.kind == "mass_disappearance"))
    assert alert is not None
    assert alert.detail["vanished"] == 12


async def test_a_lease_left_by_a_killed_process_on_this_machine_is_taken_over(archive: Archive) -> None:
    import socket

    from mailwarden.core.errors import ConflictError
    from mailwarden.db import lease
    from mailwarden.sync.service import LEASE_TTL

    gone = await asyncio.create_subprocess_exec("true")
    await gone.wait()
    name = f"sync:mailbox:{archive.mailbox.id}"
    assert await lease.acquire(archive.db, name, f"{socket.gethostname()}:{gone.pid}:x", LEASE_TTL)
    archive.dovecot.deliver(archive.user.address, make_message("after a crash"))
    outcome = await archive.sync()
    assert outcome.total("fetched") == 1

    # a live holder (this very process) is respected
    assert await lease.acquire(archive.db, name, f"{socket.gethostname()}:{os.getpid()}:y", LEASE_TTL)
    with pytest.raises(ConflictError):
        await archive.sync()


async def test_a_compressed_session_archives_the_same_bytes(archive: Archive) -> None:
    for i in range(20):
        archive.dovecot.deliver(archive.user.address, make_message(f"compressed {i}", "报价单 FOB " * 2000))
    outcome = await archive.sync(compress=True)
    assert outcome.total("fetched") == 20
    assert await live(archive) == server_bodies(archive)
