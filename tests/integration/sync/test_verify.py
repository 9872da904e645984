"""verify names every difference between the server and the archive."""

from __future__ import annotations

from mailwarden.core.secrets import SecretValue
from mailwarden.mailboxes.connect import open_imap
from mailwarden.sync.verify import VerifyReport, verify_mailbox

from archive_env import Archive, make_message


async def verify(archive: Archive, deep: bool = False) -> VerifyReport:
    async with await open_imap(archive.mailbox, SecretValue(archive.user.password)) as client:
        return await verify_mailbox(archive.db, archive.store, client, archive.mailbox.id, deep=deep)


async def test_a_fresh_archive_verifies_clean(archive: Archive) -> None:
    for i in range(3):
        archive.dovecot.deliver(archive.user.address, make_message(f"m{i}"))
    await archive.sync()
    report = await verify(archive, deep=True)
    assert report.ok, report.as_dict()
    [inbox] = [f for f in report.folders if f.name == "INBOX"]
    assert (inbox.server, inbox.archived) == (3, 3)


async def test_every_kind_of_difference_is_named(archive: Archive) -> None:
    user = archive.user.address
    for subject in ("stays", "expunged later", "blob damaged"):
        archive.dovecot.deliver(user, make_message(subject))
    await archive.sync()
    archive.dovecot.deliver(user, make_message("not yet archived", message_id="<new-1@customer.example>"))
    archive.dovecot.doveadm("expunge", "-u", user, "mailbox", "INBOX", "HEADER", "Subject", "expunged later")
    async with archive.db.session() as session:
        from sqlalchemy import select

        from mailwarden.archive.models import Message

        damaged = await session.scalar(select(Message).where(Message.subject == "blob damaged"))
    assert damaged is not None
    path = archive.store.path_for(damaged.sha256)
    path.write_bytes(path.read_bytes()[:-8] + b"garbage!")

    report = await verify(archive, deep=True)
    found = {(d.kind, d.subject) for d in report.differences}
    assert found == {
        ("missing", "not yet archived"),
        ("extra", "expunged later"),
        ("damaged", "blob damaged"),
    }
    [missing] = [d for d in report.differences if d.kind == "missing"]
    assert missing.message_id == "new-1@customer.example"
    assert missing.uid == 4
    assert missing.date is not None


async def test_a_folder_never_archived_is_reported(archive: Archive) -> None:
    archive.dovecot.deliver(archive.user.address, make_message("m"))
    await archive.sync()
    archive.dovecot.create_folder(archive.user.address, "New")
    report = await verify(archive)
    assert [(d.kind, d.folder, d.detail) for d in report.differences] == [
        ("missing", "New", "folder never archived")
    ]
