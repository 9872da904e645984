"""The sync engine's path against the lab's Dovecot 2.3: EXAMINE is read-only, a pipelined fetch returns
exactly the delivered bytes, and QRESYNC / CONDSTORE report exactly what changed."""

from __future__ import annotations

import hashlib
from typing import Any

from imap_lab import OtherClient, as_delivered, deliver_all, login, make_message, message_id_of

from mailwarden.imap import FileLiteral, FlagUpdate, UidSet


async def test_examine_and_fetching_bodies_change_nothing_on_the_server(dovecot: Any, mail_user: Any) -> None:
    deliver_all(dovecot, mail_user.address, [make_message(n, 2000) for n in range(5)])
    other = await OtherClient.open(dovecot, mail_user)
    await other.store("2", "+FLAGS", "\\Flagged")
    await other.store("4", "+FLAGS", "\\Answered", "$Forwarded")
    await other.close()
    before = dovecot.folder_view(mail_user.address)

    async with await login(dovecot, mail_user) as client:
        folder = await client.examine("INBOX")
        fetched = [r async for r in client.uid_fetch(await client.uid_search())]

    after = dovecot.folder_view(mail_user.address)
    assert folder.read_only and folder.permanent_flags == frozenset()
    assert len(fetched) == 5 and all(r.body is not None for r in fetched)
    assert [(m.uid, m.flags) for m in after] == [(m.uid, m.flags) for m in before]
    assert not any("\\Seen" in m.flags for m in after)
    assert {r.uid: r.flags for r in fetched} == {m.uid: m.flags for m in before}


async def test_a_pipelined_fetch_of_600_messages_returns_exactly_what_was_delivered(
    dovecot: Any, mail_user: Any
) -> None:
    """GIVEN 600 messages from 200 bytes to 300 kB and one of 5 MB, delivered over LMTP
    WHEN they are fetched with four UID FETCH commands in flight
    THEN each arrives once, in UID order, with the delivered bytes (sha256) after Dovecot's trace fields."""
    sizes = [200 + (n * 7919) % 300_000 if n % 5 else 200 + n for n in range(599)] + [5 * 1024 * 1024]
    sent = {m.message_id: m for m in (make_message(n, size, seed=6) for n, size in enumerate(sizes))}
    deliver_all(dovecot, mail_user.address, list(sent.values()))

    seen: list[int] = []
    async with await login(dovecot, mail_user) as client:
        folder = await client.examine("INBOX")
        uids = await client.uid_search()
        async for result in client.uid_fetch(uids, depth=4, chunk_size=64):
            seen.append(result.uid)
            assert result.body is not None
            stored = result.body.read_bytes()
            assert result.body.sha256 == hashlib.sha256(stored).hexdigest()  # hashed while spooled
            assert result.size == len(stored)
            delivered = sent.pop(message_id_of(stored))
            assert hashlib.sha256(as_delivered(stored)).hexdigest() == delivered.sha256
            if len(delivered.raw) > 5_000_000:
                assert isinstance(result.body, FileLiteral)
            result.discard()

    assert seen == sorted(seen) == list(uids) and len(seen) == folder.exists == 600
    assert sent == {}


async def test_qresync_after_an_expunge_reports_the_vanished_uids_and_the_changed_flags(
    dovecot: Any, mail_user: Any
) -> None:
    deliver_all(dovecot, mail_user.address, [make_message(n, 800) for n in range(6)])
    async with await login(dovecot, mail_user) as client:
        first = await client.examine("INBOX")
        known = await client.uid_search()
    assert first.uidvalidity is not None and first.highest_modseq is not None

    other = await OtherClient.open(dovecot, mail_user)
    await other.expunge("2,4")
    await other.store("5", "+FLAGS", "\\Flagged")
    await other.close()

    async with await login(dovecot, mail_user) as client:
        again = await client.examine("INBOX", qresync=(first.uidvalidity, first.highest_modseq, known))

    assert again.vanished == UidSet.parse("2,4")
    assert [(c.uid, c.flags) for c in again.changes] == [(5, frozenset({"\\Flagged"}))]
    assert (
        again.exists == 4 and again.highest_modseq is not None and again.highest_modseq > first.highest_modseq
    )


async def test_changedsince_returns_only_the_flags_that_changed(dovecot: Any, mail_user: Any) -> None:
    deliver_all(dovecot, mail_user.address, [make_message(n, 800) for n in range(5)])
    async with await login(dovecot, mail_user) as client:
        await client.enable("QRESYNC")
        folder = await client.examine("INBOX")
        assert folder.highest_modseq is not None
        unchanged = await client.uid_fetch_flags(UidSet.parse("1:*"), changedsince=folder.highest_modseq)

        other = await OtherClient.open(dovecot, mail_user)
        await other.store("3", "+FLAGS", "\\Seen", "$Important")
        await other.expunge("5")
        await other.close()
        changes = await client.uid_fetch_flags(UidSet.parse("1:*"), changedsince=folder.highest_modseq)
        client.take_events()

    assert unchanged.updates == () and not unchanged.vanished
    assert [(u.uid, u.flags) for u in changes.updates] == [(3, frozenset({"\\Seen", "$Important"}))]
    assert changes.vanished == UidSet.of([5])
    assert (
        isinstance(changes.updates[0], FlagUpdate) and (changes.highest_modseq or 0) > folder.highest_modseq
    )


async def test_search_by_uid_range_and_by_modseq_answers_compact_sets(dovecot: Any, mail_user: Any) -> None:
    deliver_all(dovecot, mail_user.address, [make_message(n, 400) for n in range(8)])
    async with await login(dovecot, mail_user) as client:
        folder = await client.examine("INBOX")
        assert "ESEARCH" in client.capabilities and folder.highest_modseq is not None
        other = await OtherClient.open(dovecot, mail_user)
        await other.store("6", "+FLAGS", "\\Flagged")
        await other.expunge("3")
        await other.close()
        await client.noop()
        client.take_events()

        everything = await client.uid_search()
        some = await client.uid_search("UID 2:5")
        changed = await client.uid_search(f"MODSEQ {folder.highest_modseq + 1}")
        nothing = await client.uid_search("UID 100:200")

    assert (str(everything), str(some), str(changed)) == ("1:2,4:8", "2,4:5", "6")
    assert not nothing
