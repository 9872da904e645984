"""LIST, STATUS, EXAMINE, ENABLE, SEARCH, flag resync, APPEND, NAMESPACE, QUOTA: what goes on the wire per
capability, and how the answers are read. The lab's Dovecot covers the happy path with every capability on;
these cover the servers that lack one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from imap_fake_server import FakeServer, Peer
from imap_scripts import greeting, open_client, serve_examine

from mailwarden.core.errors import InputError
from mailwarden.imap import AppendUID, FlagUpdate, FolderStatus, UidSet


async def test_without_list_status_every_folder_gets_a_pipelined_status() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 LIST-EXTENDED SPECIAL-USE"))
        command = await peer.command()
        assert command.args == b'"" "*" RETURN (SPECIAL-USE)'
        await peer.say(
            '* LIST (\\HasNoChildren) "/" INBOX',
            '* LIST (\\Noselect \\HasChildren) "/" "&W6JiNw-"',
            '* LIST (\\sent) "/" Sent',
            '* LIST () "/" {11}\r\nPrivate Box',
            f"{command.tag} OK done",
        )
        statuses = [await peer.command() for _ in range(3)]  # all three before any answer
        assert [s.args.split(b" (")[0] for s in statuses] == [b'"INBOX"', b'"Sent"', b'"Private Box"']
        assert statuses[0].args.endswith(b"(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        await peer.say(
            "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 9 UNSEEN 1)",
            f"{statuses[0].tag} OK done",
            f"{statuses[1].tag} NO [NOPERM] not yours",
            '* STATUS "Private Box" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 10 UNSEEN 0)',
            f"{statuses[2].tag} OK done",
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        folders = await client.list_folders()

    assert [(f.name, f.selectable, f.special_use) for f in folders] == [
        ("INBOX", True, None),
        ("客户", False, None),
        ("Sent", True, "\\Sent"),
        ("Private Box", True, None),
    ]
    assert folders[0].status == FolderStatus(messages=3, uidnext=4, uidvalidity=9, unseen=1)
    assert folders[1].status is None and folders[2].status is None
    assert folders[3].status is not None and folders[3].status.uidvalidity == 10


async def test_with_list_status_one_command_brings_everything_mailboxid_included() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 LIST-EXTENDED LIST-STATUS SPECIAL-USE CONDSTORE OBJECTID"))
        command = await peer.command()
        items = b"MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ MAILBOXID"
        assert command.args == b'"" "*" RETURN (SPECIAL-USE STATUS (' + items + b"))"
        await peer.say(
            '* LIST (\\Archive) "." "Archive" ("CHILDINFO" ("SUBSCRIBED"))',
            "* STATUS Archive (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 5 UNSEEN 0 HIGHESTMODSEQ 44 "
            "MAILBOXID (F1234))",
            f"{command.tag} OK done",
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        [archive] = await client.list_folders()

    assert archive.special_use == "\\Archive" and archive.delimiter == "."
    assert archive.status == FolderStatus(2, 3, 5, 0, highest_modseq=44, mailbox_id="F1234")


async def test_status_asks_only_for_what_the_server_offers_and_spells_the_name_in_utf7() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1"))
        command = await peer.command()
        assert command.args == b'"&i+J22A-" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)'
        await peer.say('* STATUS "&i+J22A-" (MESSAGES 12 UIDNEXT 13)', f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        status = await client.status("询盘")
        with pytest.raises(InputError):
            await client.status("询盘", ["RECENT-ISH"])

    assert (status.messages, status.uidnext, status.highest_modseq, status.mailbox_id) == (12, 13, None, None)


async def test_examine_with_qresync_enables_it_first_and_sends_what_we_know() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        enable = await peer.command()
        assert (enable.name, enable.args) == ("ENABLE", b"QRESYNC")
        await peer.say("* ENABLED QRESYNC", f"{enable.tag} OK done")
        command = await peer.command()
        assert command.args == b'"INBOX" (QRESYNC (7 100 1:20))'
        await peer.say(
            "* 18 EXISTS",
            "* OK [UIDVALIDITY 7] ok",
            "* OK [HIGHESTMODSEQ 130] ok",
            "* VANISHED (EARLIER) 3,5:6",
            "* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (120))",
            f"{command.tag} OK [READ-ONLY] done",
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        folder = await client.examine("INBOX", qresync=(7, 100, UidSet.parse("1:20")))
        enabled = client.enabled

    assert folder.vanished == UidSet.parse("3,5:6")
    assert folder.changes == (FlagUpdate(2, 2, frozenset({"\\Seen"}), 120),)
    assert enabled == {"QRESYNC", "CONDSTORE"}


async def test_examine_asks_for_condstore_when_it_is_not_enabled_yet() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 CONDSTORE"))
        command = await peer.command()
        assert command.args == b'"Sent" (CONDSTORE)'
        await peer.say("* OK [HIGHESTMODSEQ 5] ok", f"{command.tag} OK [READ-ONLY] done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        folder = await client.examine("Sent")

    assert folder.highest_modseq == 5 and folder.read_only


async def test_enable_asks_only_for_what_is_offered() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 ENABLE CONDSTORE"))
        command = await peer.command()
        assert command.args == b"CONDSTORE"
        await peer.say("* ENABLED CONDSTORE", f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        assert await client.enable("CONDSTORE", "QRESYNC") == {"CONDSTORE"}
        assert await client.enable("CONDSTORE") == {"CONDSTORE"}  # already on: nothing sent


async def test_the_flags_resync_uses_changedsince_and_vanished_and_splits_sparse_sets() -> None:
    sparse = UidSet.of(range(1, 2400, 2))  # 1,200 single UIDs: three commands of at most 500 ranges

    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        enable = await peer.command()
        await peer.say("* ENABLED QRESYNC", f"{enable.tag} OK done")
        await serve_examine(peer)
        commands = [await peer.command() for _ in range(3)]
        assert all(c.args.endswith(b" (UID FLAGS MODSEQ) (CHANGEDSINCE 100 VANISHED)") for c in commands)
        assert [len(c.args.split(b" ")[0].split(b",")) for c in commands] == [500, 500, 200]
        await peer.say(
            "* VANISHED (EARLIER) 3",
            "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (101))",
            "* 2 FETCH (FLAGS (\\Deleted))",  # no UID: an event, not an answer
            f"{commands[0].tag} OK done",
            "* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged) MODSEQ (105))",  # changed again meanwhile
            f"{commands[1].tag} OK done",
            f"{commands[2].tag} OK done",
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.enable("QRESYNC")
        await client.examine("INBOX")
        changes = await client.uid_fetch_flags(sparse, changedsince=100)
        events = client.take_events()

    assert changes.updates == (FlagUpdate(1, 1, frozenset({"\\Seen", "\\Flagged"}), 105),)
    assert changes.vanished == UidSet.of([3]) and changes.highest_modseq == 105
    assert events == [FlagUpdate(2, None, frozenset({"\\Deleted"}))]


async def test_search_without_esearch_reads_the_plain_answer() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1"))
        await serve_examine(peer)
        command = await peer.command()
        assert (command.name, command.args) == ("UID SEARCH", b"UID 1:*")
        await peer.say("* SEARCH 1 5 6 7", f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        assert str(await client.uid_search("UID 1:*")) == "1,5:7"
        with pytest.raises(InputError):
            await client.uid_search("SUBJECT 询盘")


@pytest.mark.parametrize("literal_plus", [True, False], ids=["literal+", "synchronising"])
async def test_append_sends_the_message_as_a_literal_and_returns_appenduid(literal_plus: bool) -> None:
    message = b"Subject: hi\r\n\r\nshort"
    caps = "IMAP4rev1 UIDPLUS" + (" LITERAL+" if literal_plus else "")

    async def script(peer: Peer) -> None:
        await peer.say(greeting(caps))
        line = await peer.line()
        marker = b"{%d+}" % len(message) if literal_plus else b"{%d}" % len(message)
        assert line.endswith(b' APPEND "Sent" (\\Seen $Replied) "05-Mar-2026 09:30:00 +0800" ' + marker), line
        if not literal_plus:
            await peer.say("+ go ahead")
        assert await peer.exactly(len(message)) == message
        assert await peer.line() == b""
        tag = line.split(b" ")[0].decode()
        await peer.say(f"{tag} OK [APPENDUID 38505 3955] APPEND completed")
        await peer.serve_logout()

    moment = datetime(2026, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    async with FakeServer(script) as server, await open_client(server) as client:
        landed = await client.append("Sent", message, ["\\Seen", "$Replied"], moment)

    assert landed == AppendUID(38505, 3955)


async def test_append_refuses_flags_it_cannot_send() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        for flags in (["\\Recent"], ["two words"], ["询盘"]):
            with pytest.raises(InputError):
                await client.append("Sent", b"x", flags)


async def test_namespace_and_quota_are_none_without_the_capability() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1"))
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        assert await client.namespace() is None
        assert await client.getquotaroot() is None


async def test_quota_reads_every_resource_of_every_root() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 QUOTA NAMESPACE"))
        command = await peer.command()
        assert command.args == b'"INBOX"'
        await peer.say(
            '* QUOTAROOT INBOX "User quota" shared',
            '* QUOTA "User quota" (STORAGE 10 512 MESSAGE 2 1000)',
            "* QUOTA shared (STORAGE 1 2)",
            f"{command.tag} OK done",
        )
        command = await peer.command()
        await peer.say('* NAMESPACE (("" "/")) (("Other/" "/")) NIL', f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        user, shared = await client.getquotaroot("INBOX") or ()
        namespaces = await client.namespace()

    assert user.root == "User quota" and shared.root == "shared"
    assert (user.storage and user.storage.limit, user.messages and user.messages.usage) == (512, 2)
    assert namespaces is not None and namespaces.other_users[0].prefix == "Other/" and not namespaces.shared
