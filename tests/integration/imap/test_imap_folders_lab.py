"""Folders and session commands against the lab's Dovecot 2.3: LIST with special-use and Chinese names,
STATUS, NAMESPACE, quota, APPEND, ENABLE, COMPRESS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from imap_lab import login, make_message

from mailwarden.imap import AppendUID, IMAPError, UidSet, utf7


async def test_it_lists_special_use_and_chinese_folders_with_their_status(
    dovecot: Any, mail_user: Any
) -> None:
    dovecot.create_folder(mail_user.address, "询盘")
    dovecot.create_folder(mail_user.address, "客户/重要")
    for number in range(2):
        dovecot.deliver(mail_user.address, make_message(number, 500).raw)

    async with await login(dovecot, mail_user) as client:
        assert {"LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE"} <= client.capabilities
        folders = {folder.name: folder for folder in await client.list_folders()}

    uses = {folder.special_use: name for name, folder in folders.items() if folder.special_use}
    assert uses == {
        "\\Sent": "Sent",
        "\\Trash": "Trash",
        "\\Drafts": "Drafts",
        "\\Junk": "Junk",
        "\\Archive": "Archive",
    }
    assert folders["询盘"].raw == b"&i+J22A-"
    assert folders["客户/重要"].parts == ("客户", "重要") and folders["客户/重要"].delimiter == "/"
    assert not folders["客户"].selectable and folders["客户"].status is None
    inbox = folders["INBOX"].status
    assert inbox is not None and (inbox.messages, inbox.unseen, inbox.uidnext) == (2, 2, 3)
    assert inbox.highest_modseq is not None and inbox.uidvalidity is not None
    assert inbox.mailbox_id is None  # Dovecot 2.3 has no OBJECTID; absent, not an error


async def test_status_of_one_folder_matches_what_list_said(dovecot: Any, mail_user: Any) -> None:
    dovecot.create_folder(mail_user.address, "询盘")

    async with await login(dovecot, mail_user) as client:
        await client.append("询盘", make_message(1, 300).raw)
        listed = {f.name: f.status for f in await client.list_folders()}["询盘"]
        status = await client.status("询盘")
        only = await client.status("询盘", ["MESSAGES", "MAILBOXID"])

    assert status == listed
    assert (status.messages, status.uidnext) == (1, 2)
    assert (only.messages, only.uidnext, only.mailbox_id) == (1, None, None)


async def test_namespace_is_one_personal_namespace_with_slash(dovecot: Any, mail_user: Any) -> None:
    async with await login(dovecot, mail_user) as client:
        namespaces = await client.namespace()

    assert namespaces is not None
    assert [(n.prefix, n.delimiter) for n in namespaces.personal] == [("", "/")]
    assert namespaces.other_users == () and namespaces.shared == ()


async def test_quota_reports_storage_and_message_usage_against_the_limits(dovecot: Any) -> None:
    user = dovecot.add_user(quota="*:storage=10M:messages=50")
    for number in range(3):
        dovecot.deliver(user.address, make_message(number, 20_000).raw)

    async with await login(dovecot, user) as client:
        [quota] = await client.getquotaroot("INBOX") or ()

    assert quota.storage is not None and quota.messages is not None
    assert (quota.storage.limit, quota.messages.limit, quota.messages.usage) == (10 * 1024, 50, 3)
    assert 58 <= quota.storage.usage <= 62  # KiB: three 20 kB messages plus the delivery's trace fields


async def test_an_appended_message_comes_back_byte_for_byte(dovecot: Any, mail_user: Any) -> None:
    message = make_message(7, 3000).raw
    moment = datetime(2026, 3, 5, 9, 30, 15, tzinfo=timezone(timedelta(hours=8)))

    async with await login(dovecot, mail_user) as client:
        landed = await client.append("Sent", message, ["\\Seen", "$Replied"], moment)
        sent = await client.examine("Sent")
        [fetched] = [r async for r in client.uid_fetch(UidSet.of([landed.uid] if landed else []))]

    assert landed == AppendUID(sent.uidvalidity or 0, 1)
    assert fetched.body is not None and fetched.body.read_bytes() == message
    assert fetched.flags == {"\\Seen", "$Replied"}
    assert fetched.internal_date == moment and fetched.size == len(message)


async def test_enable_and_compress_follow_the_capabilities(dovecot: Any, mail_user: Any) -> None:
    async with await login(dovecot, mail_user) as client:
        enabled = await client.enable("CONDSTORE", "QRESYNC", "UTF8=ACCEPT")
        compressed = await client.compress()
        caps = client.capabilities
        await client.noop()

    assert enabled == {"CONDSTORE", "QRESYNC"}
    # The lab's Dovecot loads no imap_zlib: compress() sends nothing and says so (the deflate layer is
    # tested against a loopback server in tests/unit/imap/test_imap_compress.py).
    assert compressed is ("COMPRESS=DEFLATE" in caps)


async def test_create_makes_chinese_and_nested_folders_once(dovecot: Any, mail_user: Any) -> None:
    async with await login(dovecot, mail_user) as client:
        assert await client.create("客户/重要") is True
        assert await client.create("客户/重要") is False  # [ALREADYEXISTS]: not an error
        folders = {f.name: f for f in await client.list_folders(with_status=False)}
        assert folders["客户/重要"].raw == utf7.encode("客户/重要")
        assert folders["客户/重要"].selectable and "客户" in folders


async def test_create_refused_for_another_reason_fails(dovecot: Any, mail_user: Any) -> None:
    async with await login(dovecot, mail_user) as client:
        with pytest.raises(IMAPError) as refused:
            await client.create("a" * 2000)
    assert refused.value.status in {"NO", "BAD"}
