"""The ingest's decisions against real tables, on SQLite and PostgreSQL: conversations, parties, noise,
copies, idempotence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Message
from mailwarden.core.errors import StorageError
from mailwarden.db.engine import Database
from mailwarden.inbox.ingest import IngestReport, ingest, load_team, not_for_inbox, reset_cursor
from mailwarden.inbox.models import (
    BounceLink,
    Company,
    Contact,
    Conversation,
    ConversationMessage,
    IngestCursor,
)
from mailwarden.inbox.place import Placed
from mailwarden.inbox.tokens import new_message_id

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail


@pytest.fixture
async def archive(db: Database, tmp_path: Path) -> FilledArchive:
    return await FilledArchive.create(db, tmp_path)


async def run(archive: FilledArchive, batch: int = 200) -> IngestReport:
    team = await load_team(archive.db, [TOKEN_KEY])
    return await ingest(archive.db, archive.store, team, batch=batch)


async def conversations(archive: FilledArchive) -> list[Conversation]:
    async with archive.db.session() as session:
        return list(await session.scalars(select(Conversation).order_by(Conversation.id)))


async def messages(archive: FilledArchive) -> list[ConversationMessage]:
    async with archive.db.session() as session:
        return list(await session.scalars(select(ConversationMessage).order_by(ConversationMessage.id)))


async def test_a_new_inquiry_opens_a_conversation_with_its_contact_and_company(
    archive: FilledArchive,
) -> None:
    await archive.add(mail("LED panels for our shops", message_id="q1@weber"))
    report = await run(archive)
    assert report.outcomes["opened"] == 1
    [conversation] = await conversations(archive)
    assert (conversation.status, conversation.subject, conversation.language) == (
        "open",
        "LED panels for our shops",
        "en",
    )
    assert conversation.token.startswith(conversation.uid + "-")
    async with archive.db.session() as session:
        contact = await session.get(Contact, conversation.contact_id)
        company = await session.get(Company, conversation.company_id)
    assert contact is not None and company is not None
    assert (contact.name, company.domain, company.country) == ("Anna Weber", "weber-gmbh.de", "DE")


async def test_our_reply_and_the_customers_answer_stay_in_one_conversation(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber"))
    await run(archive)
    [conversation] = await conversations(archive)
    assert conversation.status == "open"
    reply = mail(
        "Re: LED panels", sender="Sales <sales@example.test>", to="anna@weber-gmbh.de",
        message_id="r1@example.test", in_reply_to="q1@weber", references=["q1@weber"], at=later(30),
    )  # fmt: skip
    await archive.add(reply, folder="Sent")
    await run(archive)
    [conversation] = await conversations(archive)
    assert conversation.status == "pending"  # answered: waiting on the customer
    assert conversation.last_agent_at == later(30)
    answer = mail(
        "Re: Re: LED panels", message_id="q2@weber", in_reply_to="r1@example.test",
        references=["q1@weber", "r1@example.test"], at=later(90),
    )  # fmt: skip
    await archive.add(answer)
    await run(archive)
    [conversation] = await conversations(archive)
    assert (conversation.status, conversation.last_customer_at) == ("open", later(90))
    assert [(m.direction, m.threaded_by) for m in await messages(archive)] == [
        ("in", "new"),
        ("out", "in_reply_to"),
        ("in", "in_reply_to"),
    ]


async def test_an_auto_reply_opens_nothing_and_leaves_the_status(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber"))
    await archive.add(
        mail("Re: LED panels", sender="sales@example.test", to="anna@weber-gmbh.de",
             message_id="r1@example.test", in_reply_to="q1@weber", at=later(5)),
        folder="Sent",
    )  # fmt: skip
    out_of_office = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
    await archive.add(
        mail("Automatic reply: Re: LED panels", message_id="oof@weber", in_reply_to="r1@example.test",
             at=later(6), headers=out_of_office),
        mail("Automatic reply: something else", message_id="oof2@weber", at=later(7), headers=out_of_office),
    )  # fmt: skip
    report = await run(archive)
    assert report.outcomes == {"opened": 1, "attached": 1, "noise": 2}
    [conversation] = await conversations(archive)
    assert conversation.status == "pending"  # the auto-reply did not reopen it
    assert conversation.last_customer_at == later(0)  # the auto-reply is not the customer writing
    noise = [(m.noise, m.conversation_id) for m in await messages(archive) if m.noise != "person"]
    assert noise == [("auto_reply", conversation.id), ("auto_reply", None)]


async def test_same_subject_from_another_customer_is_another_conversation(archive: FilledArchive) -> None:
    await archive.add(
        mail("Quotation for LED panels", message_id="a@weber"),
        mail("Quotation for LED panels", sender="Bob <bob@lumen.fr>", message_id="b@lumen", at=later(1)),
    )
    await run(archive)
    found = await conversations(archive)
    assert len(found) == 2
    assert found[1].suggested_ids == []  # a suggestion never crosses customers


async def test_free_mail_makes_a_contact_without_a_company(archive: FilledArchive) -> None:
    await archive.add(mail("Price list", sender="Li Lei <lilei@163.com>", body="请报价。\n"))
    await run(archive)
    [conversation] = await conversations(archive)
    assert conversation.company_id is None and conversation.contact_id is not None
    assert conversation.language == "zh"
    async with archive.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Company)) == 0


async def test_a_message_in_two_folders_is_one_message(archive: FilledArchive) -> None:
    raw = mail("LED panels", message_id="q1@weber")
    await archive.add(raw)
    await archive.add(raw, folder="Sent")  # the same bytes: a copy filed by a rule, a restore, ...
    report = await run(archive)
    assert (report.read, report.outcomes["opened"], report.outcomes["already"]) == (2, 1, 1)
    assert len(await messages(archive)) == 1


async def test_the_same_message_with_other_bytes_is_a_copy_but_a_shared_id_is_not(
    archive: FilledArchive,
) -> None:
    first = mail("same id A", message_id="dup@x")
    resent = first.replace(b"MIME-Version", b"Received: by relay.example\r\nMIME-Version")
    other = mail("same id B", message_id="dup@x", body="second body\n")
    await archive.add(first, resent, other)
    await run(archive)
    rows = await messages(archive)
    assert [(r.copy_of_id, r.threaded_by) for r in rows] == [
        (None, "new"),
        (rows[0].id, "copy"),
        (None, "known_message"),  # another message claiming the same id: kept, in the same conversation
    ]
    assert len(await conversations(archive)) == 1


async def test_a_reply_archived_before_its_question_joins_the_question(archive: FilledArchive) -> None:
    """GIVEN sync walked Sent before INBOX, WHEN our reply is ingested first, THEN the customer's question
    (archived later) joins the reply's conversation instead of opening a second one."""
    await archive.add(
        mail("Re: LED panels", sender="sales@example.test", to="anna@weber-gmbh.de",
             message_id="r1@example.test", in_reply_to="q1@weber", at=later(30)),
        folder="Sent",
    )  # fmt: skip
    await archive.add(mail("LED panels", message_id="q1@weber"))
    await run(archive)
    [conversation] = await conversations(archive)
    assert conversation.status == "pending"  # the newest message is our answer
    assert (conversation.subject, conversation.first_message_at) == ("LED panels", later(0))  # the start
    assert [m.threaded_by for m in await messages(archive)] == ["new", "answered_first"]


async def test_a_reply_that_only_quotes_our_token_finds_its_conversation(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber"))
    await run(archive)
    [conversation] = await conversations(archive)
    ours = new_message_id("example.test", conversation.uid, TOKEN_KEY)  # a reply we never recorded
    await archive.add(mail("Re: LED panels", message_id="q2@weber", in_reply_to=ours, at=later(60)))
    await run(archive)
    assert len(await conversations(archive)) == 1
    assert (await messages(archive))[-1].threaded_by == "token"


async def test_our_mail_to_colleagues_only_is_internal(archive: FilledArchive) -> None:
    await archive.add(mail("Lunch", sender="sales@example.test", to="boss@example.test"), folder="Sent")
    report = await run(archive)
    assert report.outcomes == {"internal": 1}
    assert await conversations(archive) == []


async def test_a_bounce_is_linked_to_the_message_it_returned(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber"))
    sent = mail("Re: LED panels", sender="sales@example.test", to="anna@weber-gmbh.de",
                message_id="r1@example.test", in_reply_to="q1@weber", at=later(5))  # fmt: skip
    await archive.add(sent, folder="Sent")
    boundary = "BOUNDARY"
    dsn = (
        (
            "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\r\nTo: sales@example.test\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.test\r\n"
            "\r\nFinal-Recipient: rfc822; anna@weber-gmbh.de\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + sent
        + f"\r\n--{boundary}--\r\n".encode()
    )
    await archive.add(dsn)
    report = await run(archive)
    assert report.outcomes == {"opened": 1, "attached": 1, "noise": 1}
    [conversation] = await conversations(archive)
    async with archive.db.session() as session:
        [link] = list(await session.scalars(select(BounceLink)))
        original = await session.get(ConversationMessage, link.original_id)
    assert original is not None and original.message_id == "r1@example.test"
    assert (link.conversation_id, link.permanent, link.recipients[0]["status"]) == (
        conversation.id,
        True,
        "5.1.1",
    )


async def test_ingest_reads_in_batches_and_again_from_zero_changes_nothing(archive: FilledArchive) -> None:
    for n in range(12):
        await archive.add(mail(f"Inquiry {n} about LED", sender=f"b{n}@buyer{n}.de", message_id=f"i{n}@x"))
    first = await run(archive, batch=5)
    assert (first.batches, first.outcomes["opened"], first.cursor) == (3, 12, 12)
    before = [(m.id, m.conversation_id, m.sha256) for m in await messages(archive)]
    await reset_cursor(archive.db)
    again = await run(archive, batch=5)
    assert again.outcomes == {"already": 12} and again.cursor == 12
    assert [(m.id, m.conversation_id, m.sha256) for m in await messages(archive)] == before
    assert len(await conversations(archive)) == 12


async def test_a_date_in_the_future_does_not_make_a_message_the_newest(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber", at=later(0).replace(year=2099)))
    await run(archive)
    [message] = await messages(archive)
    async with archive.db.session() as session:
        archived = await session.scalar(select(Message.archived_at))
    assert message.at == archived  # the server's time, not the sender's year 2099


async def test_two_ingests_at_once_place_every_message_once(archive: FilledArchive) -> None:
    for n in range(30):
        await archive.add(mail(f"Inquiry {n}", sender=f"b{n}@buyer{n}.de", message_id=f"i{n}@x"))
    second = Database(archive.db.url.render_as_string(hide_password=False))
    team = await load_team(archive.db, [TOKEN_KEY])
    try:
        reports = await asyncio.gather(
            ingest(archive.db, archive.store, team, batch=4), ingest(second, archive.store, team, batch=4)
        )
    finally:
        await second.dispose()
    assert sum(report.read for report in reports) == 30
    assert sum(report.outcomes["opened"] for report in reports) == 30
    assert len(await messages(archive)) == 30 and len(await conversations(archive)) == 30


async def test_a_failure_inside_a_batch_leaves_nothing_of_it(archive: FilledArchive) -> None:
    """GIVEN a hook (where assignment will start) that fails on the third message, WHEN the batch fails,
    THEN nothing of it is stored and the cursor has not moved; the next run places everything."""
    for n in range(5):
        await archive.add(mail(f"Inquiry {n}", sender=f"b{n}@buyer{n}.de", message_id=f"i{n}@x"))
    seen: list[str] = []

    async def hook(session: AsyncSession, placed: Placed) -> None:
        seen.append(placed.outcome)
        assert placed.message.id is not None  # flushed before hooks run
        if len(seen) == 3:
            raise StorageError(detail="the assignment failed")

    team = await load_team(archive.db, [TOKEN_KEY])
    with pytest.raises(StorageError):
        await ingest(archive.db, archive.store, team, on_placed=hook)
    assert await messages(archive) == [] and await conversations(archive) == []
    async with archive.db.session() as session:
        assert await session.scalar(select(IngestCursor.position)) == 0
    assert (await run(archive)).outcomes == {"opened": 5}


async def test_an_unreadable_blob_stops_the_ingest_instead_of_skipping_mail(archive: FilledArchive) -> None:
    await archive.add(mail("Inquiry", message_id="i1@x"))
    async with archive.db.session() as session:
        sha = await session.scalar(select(Message.sha256))
    assert sha is not None
    archive.store.path_for(sha).unlink()
    with pytest.raises(StorageError):
        await run(archive)
    async with archive.db.session() as session:
        assert await session.scalar(select(IngestCursor.position)) == 0


async def test_drafts_and_junk_open_nothing_until_moved_to_the_inbox(archive: FilledArchive) -> None:
    draft = mail(
        "Re: LED panels", sender="sales@example.test", to="anna@weber-gmbh.de", in_reply_to="q1@weber"
    )
    spam = mail("Cheap watches", sender="x@spam.example", message_id="spam@x")
    await archive.add(draft, folder="Drafts")
    await archive.add(spam, folder="Spam")  # no SPECIAL-USE: known by its name
    report = await run(archive)
    assert report.outcomes == {"set_aside": 2}
    assert await messages(archive) == []
    await archive.add(spam)  # the team says "not spam": the same bytes, now in INBOX
    assert (await run(archive)).outcomes == {"opened": 1}


def test_folders_set_aside_by_use_or_by_name() -> None:
    assert not_for_inbox("\\Junk", "Whatever") and not_for_inbox(None, "INBOX/垃圾邮件")
    assert not_for_inbox(None, "Deleted Messages") and not_for_inbox(None, "INBOX.Trash")
    assert not not_for_inbox("\\Sent", "Sent") and not not_for_inbox(None, "客户/重要")
    assert not not_for_inbox("\\Archive", "Spam")  # a server's SPECIAL-USE wins over the name


async def test_forwarding_an_inquiry_to_a_colleague_is_no_answer(archive: FilledArchive) -> None:
    await archive.add(mail("LED panels", message_id="q1@weber"))
    forward = mail("Fwd: LED panels", sender="sales@example.test", to="engineer@example.test",
                   message_id="fw1@example.test", references=["q1@weber"], at=later(10))  # fmt: skip
    await archive.add(forward, folder="Sent")
    report = await run(archive)
    assert report.outcomes == {"opened": 1, "internal": 1}
    [conversation] = await conversations(archive)
    assert (conversation.status, conversation.last_agent_at) == ("open", None)  # still waiting for us
    assert [m.conversation_id for m in await messages(archive)] == [conversation.id, conversation.id]


async def test_a_new_matter_written_as_a_reply_to_an_old_closed_thread_is_a_new_conversation(
    archive: FilledArchive,
) -> None:
    """GIVEN a conversation closed two months ago, WHEN the customer answers its old mail about something
    else, THEN that opens a new conversation naming the old one; an answer on the same subject reopens."""
    two_months_ago = later(-60 * 24 * 60)  # dated in the past: a Date ahead of the server's is not believed
    await archive.add(mail("LED panels", message_id="q1@weber", at=two_months_ago))
    await run(archive)
    async with archive.db.session() as session, session.begin():
        [old] = list(await session.scalars(select(Conversation)))
        old.status = "closed"
    new_matter = mail("Re: New order: 500 solar lamps", message_id="q2@weber", in_reply_to="q1@weber")
    same_matter = mail("Re: LED panels", message_id="q3@weber", in_reply_to="q1@weber", at=later(1))
    await archive.add(new_matter, same_matter)
    report = await run(archive)
    assert report.outcomes == {"opened": 1, "attached": 1}
    first, second = await conversations(archive)
    assert (first.status, second.subject, second.suggested_ids) == (
        "open",  # the same subject reopened it
        "Re: New order: 500 solar lamps",
        [first.id],
    )
    assert [m.threaded_by for m in await messages(archive)] == ["new", "recycled", "in_reply_to"]
