"""Replies through the lab's real Postfix (submission) into the customer's real Dovecot mailbox, the copy
APPENDed to sales@'s Sent, and the archive sync + ingest that see it again.

SQLite only: the queue's claims run on both engines in tests/integration/db; what is tested here is the
mail side. Back-off is skipped with ``make_due`` rather than by waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.inbox import events, reply
from mailwarden.inbox.compose import Attachment
from mailwarden.inbox.tokens import TOKEN_HEADER, message_id_token, verify_token

from reply_lab import ReplyLab


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'mw.db'}")
    await upgrade(database)
    yield database
    await database.dispose()


async def _kinds(lab: ReplyLab, conversation_id: int) -> list[str]:
    """The timeline after the ingest opened the conversation (its first event, ``created``)."""
    async with lab.db.session() as session:
        kinds = [row.kind for row in await events.timeline(session, conversation_id)]
    assert kinds[:1] == ["created"]
    return kinds[1:]


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The main path on both engines (the claim is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
    url = (
        f"sqlite:///{tmp_path / 'any.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    database = Database(url)
    await upgrade(database)
    yield database
    await database.dispose()


async def test_a_reply_reaches_the_customer_threaded_and_sent_holds_one_copy(
    any_db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    db = any_db
    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix, display_names={"sales": "ACME 销售部"})
    conversation_id = await lab.inquiry("LED panels 报价")
    (inquiry,) = await lab.messages(conversation_id)

    queued = await reply.reply(
        db,
        lab.settings,
        conversation_id,
        agent="alice",
        body_text="Dear Anna,\n\nplease find our price list attached.\n",
        attachments=[Attachment("报价单.pdf", "application/pdf", b"%PDF-1.4 price list")],
        seen_message_id=inquiry.id,
    )
    assert queued.status == "queued"
    done = await lab.send()
    assert done.outcomes == {"filed": 1}

    (received,) = lab.customer_copies(at_least=1)
    mail = received.message
    assert mail["Message-ID"] == f"<{queued.message_id}>"
    assert mail["In-Reply-To"] == f"<{inquiry.message_id}>"
    assert mail["References"] == f"<{inquiry.message_id}>"
    token = message_id_token(queued.message_id)
    assert token is not None and mail[TOKEN_HEADER].strip() == token  # folded: the name is long
    assert verify_token(token, lab.keys) is not None
    assert mail["Subject"].startswith("Re: ")
    assert mail["Auto-Submitted"] is None  # a person wrote it: vacation responders may answer
    assert lab.sales.address in mail["From"]

    (filed,) = lab.sent_copies()
    assert "\\Seen" in filed.flags
    assert filed.message["Message-ID"] == mail["Message-ID"]
    row = await lab.outgoing(queued.id)
    assert (row.status, row.state, row.sent_folder) == ("filed", "done", "Sent")

    # the archive sync sees the copy in Sent, the ingest attaches it to the row written at sending
    report = await lab.sync_and_ingest()
    assert report.outcomes["sent_seen"] == 1 and report.outcomes["opened"] == 0
    messages = await lab.messages(conversation_id)
    assert [(m.direction, m.message_id) for m in messages] == [
        ("in", inquiry.message_id),
        ("out", queued.message_id),
    ]
    assert messages[1].archive_message_id is not None and messages[1].sha256 == row.sha256
    assert await _kinds(lab, conversation_id) == ["reply_queued", "reply_sent", "status", "reply_filed"]


async def test_the_reply_goes_to_reply_to_and_cc(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
    colleague = dovecot.add_user()
    buyer_desk = dovecot.add_user()
    conversation_id = await lab.inquiry(reply_to=f"Purchasing <{buyer_desk.address}>")
    queued = await reply.reply(
        db, lab.settings, conversation_id, agent="alice", body_text="Noted.", cc=[colleague.address]
    )
    assert queued.rcpt_to == [buyer_desk.address, colleague.address]
    assert (await lab.send()).outcomes == {"filed": 1}
    assert len(lab.copies(buyer_desk, "INBOX", at_least=1)) == 1
    assert len(lab.copies(colleague, "INBOX", at_least=1)) == 1
    assert lab.customer_copies() == []


async def test_a_permanent_refusal_fails_visibly_and_a_retry_by_hand_sends_it(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLY_LAB_PASSWORD", "wrong password")
    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix, credential_ref="env:REPLY_LAB_PASSWORD")
    conversation_id = await lab.inquiry()
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Prices below.")

    assert (await lab.send()).outcomes == {"failed": 1}
    (failed,) = await reply.list_outgoing(db, status="failed")
    assert failed.id == queued.id and failed.next_attempt_at is None
    assert failed.error is not None
    assert (failed.error["code"], failed.error["enhanced"], failed.error["smtp_stage"]) == (
        535,
        "5.7.8",
        "auth",
    )
    assert (await lab.send()).outcomes == {}  # failed stays failed: nothing is retried behind the user's back
    assert "reply_failed" in await _kinds(lab, conversation_id)

    monkeypatch.setenv("REPLY_LAB_PASSWORD", lab.sales.password)
    again = await reply.retry(db, queued.id, actor="cli:test")
    assert again.status == "queued"
    assert (await lab.send()).outcomes == {"filed": 1}
    assert len(lab.customer_copies(at_least=1)) == 1


async def test_a_refused_message_is_failed_with_the_servers_words(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
    conversation_id = await lab.inquiry("Order [lab-reject-data]")
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Thanks.")
    assert (await lab.send()).outcomes == {"failed": 1}
    row = await lab.outgoing(queued.id)
    assert row.status == "failed" and row.error is not None
    assert (row.error["code"], row.error["enhanced"], row.error["smtp_stage"]) == (550, "5.7.1", "data")
    assert "lab content filter" in row.error["text"]
    assert lab.customer_copies() == []


async def test_a_temporary_refusal_is_retried_with_back_off_then_given_up(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix, max_attempts=2)
    conversation_id = await lab.inquiry("Samples [lab-defer-data]")
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Tomorrow.")

    first = await lab.send()
    assert first.outcomes == {"retry": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.state, row.attempts) == ("queued", "ready", 1)
    assert row.error is not None and row.error["code"] == 451 and not row.error["permanent"]
    assert first.next_at is not None and (first.next_at - row.updated_at).total_seconds() >= 59
    assert (await lab.send()).outcomes == {}  # not due yet

    await lab.make_due(queued.id)
    assert (await lab.send()).outcomes == {"failed": 1}  # the second temporary failure is the last
    row = await lab.outgoing(queued.id)
    assert (row.status, row.state, row.sends) == ("failed", "failed", 2)
    assert row.error is not None and row.error["gave_up_after"] == 2


async def test_a_server_that_refuses_connections_is_retried_and_then_reached(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.submission_port) as proxy:
        lab = await ReplyLab.create(db, tmp_path, dovecot, postfix, smtp_port=proxy.port)
        conversation_id = await lab.inquiry()
        queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Hello.")
        proxy.refuse_new()
        assert (await lab.send()).outcomes == {"retry": 1}
        row = await lab.outgoing(queued.id)
        assert row.status == "queued" and row.error is not None and row.error["kind"] == "network_error"
        assert row.sends == 1

        proxy.refuse_new(False)
        await lab.make_due(queued.id)
        assert (await lab.send()).outcomes == {"filed": 1}
    assert len(lab.customer_copies(at_least=1)) == 1


# -- in doubt: the server took the message, the answer never came back -----------------------------------

QUEUED = b"250 2.0.0 Ok: queued"  # Postfix's answer to the data: cut before its line ends


async def _in_doubt(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any, proxy: Any, **options: Any
) -> tuple[ReplyLab, int, reply.OutgoingView]:
    """A reply whose SMTP session is cut inside Postfix's "queued" answer: delivered, but we cannot know."""
    lab = await ReplyLab.create(
        db, tmp_path, dovecot, postfix, smtp_port=proxy.port, smtp_tls="none", **options
    )
    conversation_id = await lab.inquiry()
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Our offer.")
    proxy.cut_when_server_sends(QUEUED)
    assert (await lab.send()).outcomes == {"in_doubt": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.state, row.sends) == ("sending", "ready", 1)
    assert row.error is not None and row.error["in_doubt"] and row.error["kind"] == "network_error"
    assert len(lab.customer_copies(at_least=1)) == 1  # Postfix had taken it
    await lab.make_due(queued.id)
    return lab, conversation_id, queued


async def test_in_doubt_and_found_in_sent_it_is_not_sent_again(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.plain_auth_port) as proxy:
        lab, conversation_id, queued = await _in_doubt(db, tmp_path, dovecot, postfix, proxy)
        lab.file_in_sent((await lab.outgoing(queued.id)).raw)  # as Gmail or Microsoft 365 would
        assert (await lab.send()).outcomes == {"filed": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.sends) == ("filed", 1)
    assert len(lab.customer_copies()) == 1  # no duplicate send
    assert len(lab.sent_copies()) == 1  # and no second copy in Sent
    async with db.session() as session:
        sent = await events.timeline(session, conversation_id, kinds=["reply_sent", "reply_filed"])
    assert sent[0].detail["found_in"] == "sent_folder" and sent[1].detail["already_there"] is True


async def test_in_doubt_and_found_nowhere_it_is_sent_again_with_the_same_message_id(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.plain_auth_port) as proxy:
        lab, conversation_id, queued = await _in_doubt(db, tmp_path, dovecot, postfix, proxy)
        assert (await lab.send()).outcomes == {"filed": 1}
    assert (await lab.outgoing(queued.id)).sends == 2
    copies = lab.customer_copies(at_least=2)
    assert [c.message["Message-ID"] for c in copies] == [f"<{queued.message_id}>"] * 2
    assert len(lab.sent_copies()) == 1
    await lab.sync_and_ingest()
    assert [m.direction for m in await lab.messages(conversation_id)] == ["in", "out"]


async def test_in_doubt_held_waits_for_a_person_and_is_never_sent_twice_by_itself(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.plain_auth_port) as proxy:
        lab, _, queued = await _in_doubt(db, tmp_path, dovecot, postfix, proxy, in_doubt="hold")
        assert (await lab.send()).outcomes == {"failed": 1}
        row = await lab.outgoing(queued.id)
        assert (row.status, row.state) == ("failed", "failed")
        assert row.error is not None and row.error["kind"] == "in_doubt"
        assert len(lab.customer_copies()) == 1

        await reply.retry(db, queued.id, actor="cli:test")  # an agent decided: send it again
        assert (await lab.send()).outcomes == {"filed": 1}
    assert len(lab.customer_copies(at_least=2)) == 2


async def test_the_worker_sends_when_woken_and_two_workers_send_once(
    any_db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    import asyncio

    db = any_db

    from mailwarden.inbox import outgoing

    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix, poll=30.0)
    conversation_id = await lab.inquiry()
    stop, wake = asyncio.Event(), asyncio.Event()
    workers = [asyncio.create_task(outgoing.run(db, lab.settings, stop=stop, wake=wake)) for _ in range(2)]
    try:
        await asyncio.sleep(0.2)  # both idle, polling only every 30 s
        queued = await reply.reply(
            db, lab.settings, conversation_id, agent="alice", body_text="Hi", wake=wake
        )
        for _ in range(200):  # the wake, not the poll, brings it out: well under 30 s
            if (await lab.outgoing(queued.id)).status == "filed":
                break
            await asyncio.sleep(0.05)
        assert (await lab.outgoing(queued.id)).status == "filed"
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=30)
    assert len(lab.customer_copies(at_least=1)) == 1
    assert (await lab.outgoing(queued.id)).sends == 1


async def test_in_doubt_and_already_archived_it_stays_one_message(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    """GIVEN a reply in doubt whose copy the provider filed in Sent, and sync + ingest that ran before the
    worker came back to it: the ingest placed it as our message; the worker finds it and adds no other."""
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.plain_auth_port) as proxy:
        lab, conversation_id, queued = await _in_doubt(db, tmp_path, dovecot, postfix, proxy)
        lab.file_in_sent((await lab.outgoing(queued.id)).raw)
        report = await lab.sync_and_ingest()
        # "internal": the lab customer shares our domain (example.test), so is no contact; placed all the same
        assert report.outcomes["attached"] + report.outcomes["internal"] == 1, report.as_dict()
        assert (await lab.send()).outcomes == {"filed": 1}
    messages = await lab.messages(conversation_id)
    assert [(m.direction, m.message_id) for m in messages][1:] == [("out", queued.message_id)]
    row = await lab.outgoing(queued.id)
    assert row.inbox_message_id == messages[1].id and row.sends == 1
    assert len(lab.customer_copies()) == 1


async def test_a_worker_that_died_after_the_server_took_the_reply_leaves_it_to_the_next(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    """GIVEN a worker that claimed a reply, committed ``sending``, had it accepted by Postfix and died before
    writing ``sent`` (what kill -9 leaves: the row claimed, in doubt) — WHEN its claim runs out, THEN the
    next worker checks before sending: the provider's copy in Sent is found, nothing is sent again."""
    from datetime import timedelta

    from sqlalchemy import update

    from mailwarden.core import clock
    from mailwarden.db import queue
    from mailwarden.inbox import outgoing_record
    from mailwarden.inbox.models_reply import Outgoing
    from mailwarden.inbox.outgoing import _Job

    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
    conversation_id = await lab.inquiry()
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Offer.")
    (claimed,) = await queue.claim(db, Outgoing, "dead", hold=timedelta(seconds=300))
    job = _Job(db, lab.settings, "dead", claimed)
    await outgoing_record.mark_sending(db, claimed, "dead")
    await job.submit(await job.account())  # accepted; the process "dies" here
    lab.file_in_sent(claimed.raw)  # the provider's own copy

    assert (await lab.send()).outcomes == {}  # the dead worker's claim still holds
    async with db.session() as session, session.begin():
        await session.execute(
            update(Outgoing).values(claimed_until=clock.now() - timedelta(seconds=1))
        )  # its hold ran out
    assert (await lab.send()).outcomes == {"filed": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.sends, row.attempts) == ("filed", 1, 2)
    assert len(lab.customer_copies(at_least=1)) == 1
    assert len(lab.sent_copies()) == 1


async def test_a_bounce_of_our_reply_is_linked_to_it(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    """The outgoing message row written at sending is what a later bounce is matched against."""
    from sqlalchemy import select

    from mailwarden.inbox.models import BounceLink

    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
    conversation_id = await lab.inquiry()
    nobody = "nobody-here@" + lab.sales.address.rpartition("@")[2]
    queued = await reply.reply(
        db, lab.settings, conversation_id, agent="alice", body_text="Offer.", cc=[nobody]
    )
    assert (await lab.send()).outcomes == {"filed": 1}  # Postfix took it; Dovecot refuses the Cc later
    assert len(lab.copies(lab.sales, "INBOX", at_least=2)) == 2  # the inquiry, and the bounce
    report = await lab.sync_and_ingest()
    assert report.outcomes["noise"] == 1, report.as_dict()
    async with db.session() as session:
        link = await session.scalar(select(BounceLink))
    row = await lab.outgoing(queued.id)
    assert link is not None and link.original_id == row.inbox_message_id
    assert link.conversation_id == conversation_id and link.permanent
    assert [r["address"] for r in link.recipients] == [nobody]


async def test_when_filing_fails_the_reply_is_filed_later_and_never_sent_again(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    from sqlalchemy import update

    from mailwarden.mailboxes.models import Mailbox

    from lab.faultproxy import FaultProxy

    with FaultProxy(dovecot.host, dovecot.imaps_port) as proxy:
        lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
        conversation_id = await lab.inquiry()
        async with db.session() as session, session.begin():
            await session.execute(update(Mailbox).values(imap_port=proxy.port))
        queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Offer.")
        proxy.refuse_new()
        assert (await lab.send()).outcomes == {"retry": 1}
        row = await lab.outgoing(queued.id)
        assert (row.status, row.state, row.sends) == ("sent", "ready", 1)
        assert row.error is not None and row.error["stage"] == "file"
        assert len(lab.customer_copies(at_least=1)) == 1

        proxy.refuse_new(False)
        await lab.make_due(queued.id)
        assert (await lab.send()).outcomes == {"filed": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.sends) == ("filed", 1)
    assert len(lab.customer_copies()) == 1 and len(lab.sent_copies()) == 1
    kinds = await _kinds(lab, conversation_id)
    assert kinds == ["reply_queued", "reply_sent", "status", "reply_failed", "reply_filed"]


async def test_in_doubt_and_found_only_in_the_archive_it_is_not_sent_again(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    """The provider's copy was archived, then deleted from Sent by someone: the archive still answers."""
    from lab.faultproxy import FaultProxy

    with FaultProxy(postfix.host, postfix.plain_auth_port) as proxy:
        lab, conversation_id, queued = await _in_doubt(db, tmp_path, dovecot, postfix, proxy)
        lab.file_in_sent((await lab.outgoing(queued.id)).raw)
        await lab.sync_and_ingest()
        with lab._imap(lab.sales) as imap:
            imap.select("Sent")
            imap.store("1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()
        assert (await lab.send()).outcomes == {"filed": 1}
    row = await lab.outgoing(queued.id)
    assert (row.status, row.sends) == ("filed", 1)
    async with db.session() as session:
        (sent,) = await events.timeline(session, conversation_id, kinds=["reply_sent"])
    assert sent.detail["found_in"] == "archive"
    assert len(lab.customer_copies()) == 1 and len(lab.sent_copies()) == 1  # filed again by us


async def test_the_customers_answer_to_our_reply_joins_the_conversation(
    db: Database, tmp_path: Path, dovecot: Any, postfix: Any
) -> None:
    """Before sync has seen our copy in Sent, the row written at sending is what threading finds."""
    from reply_lab import inquiry_mail

    lab = await ReplyLab.create(db, tmp_path, dovecot, postfix)
    conversation_id = await lab.inquiry()
    queued = await reply.reply(db, lab.settings, conversation_id, agent="alice", body_text="Offer attached.")
    assert (await lab.send()).outcomes == {"filed": 1}
    (received,) = lab.customer_copies(at_least=1)
    answer = inquiry_mail(lab.customer.address, "Re: LED panels price list", body="Thanks, we order 40.")
    answer = answer.replace(
        b"MIME-Version:", f"In-Reply-To: {received.message['Message-ID']}\r\nMIME-Version:".encode(), 1
    )
    lab.dovecot.deliver(lab.sales.address, answer)
    await lab.sync_and_ingest()
    messages = await lab.messages(conversation_id)
    assert [(m.direction, m.threaded_by) for m in messages] == [
        ("in", "new"),
        ("out", "reply"),
        ("in", "in_reply_to"),
    ]
    assert messages[2].in_reply_to == queued.message_id
