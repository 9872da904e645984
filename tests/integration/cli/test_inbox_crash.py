"""Idempotence acceptance (issue 6): ``mailwarden worker`` killed with SIGKILL while it places 1,000
messages; after a restart every message is in exactly one conversation, each inquiry is assigned once,
and reading the archive again changes nothing.

The archive is filled as ``archive sync`` fills it (blobs, then rows through ``store_batch``), in an order a
sync can produce: a hundred of our answers (Sent walked first), the 400 inquiries, the other 200 answers,
then 300 follow-ups from the customers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mailwarden.archive.models import Message
from mailwarden.audit.service import verify_chain
from mailwarden.db.engine import Database
from mailwarden.inbox.models import Conversation, ConversationMessage, InboxEvent, IngestCursor

from cli_runner import CLI
from inbox_archive import START, FilledArchive, mail

INQUIRIES, ANSWERS, FOLLOW_UPS = 400, 300, 300
LIVENESS = 120.0  # seconds: a generous bound for the killed run to get going, not a timing assertion


def _corpus() -> tuple[list[bytes], list[bytes], list[bytes], list[bytes], dict[str, str]]:
    """(answers archived first, inquiries, later answers, follow-ups) and each Message-ID's thread root."""
    root_of: dict[str, str] = {}
    inquiries, answers, follow_ups = [], [], []
    for n in range(INQUIRIES):
        root = f"q{n}@buyer{n}.de"
        root_of[root] = root
        inquiries.append(
            mail(f"Inquiry {n}: LED panels", sender=f"Buyer {n} <b{n}@buyer{n}.de>", message_id=root,
                 at=START + timedelta(minutes=n))
        )  # fmt: skip
    for n in range(ANSWERS):
        root, answer = f"q{n}@buyer{n}.de", f"r{n}@example.test"
        root_of[answer] = root
        answers.append(
            mail(f"Re: Inquiry {n}: LED panels", sender="Sales <sales@example.test>", to=f"b{n}@buyer{n}.de",
                 message_id=answer, in_reply_to=root, references=[root],
                 at=START + timedelta(hours=9, minutes=n), body="Our quotation is attached.\n")
        )  # fmt: skip
    for n in range(FOLLOW_UPS):
        root, answer, follow = f"q{n}@buyer{n}.de", f"r{n}@example.test", f"f{n}@buyer{n}.de"
        root_of[follow] = root
        follow_ups.append(
            mail(f"Re: Re: Inquiry {n}: LED panels", sender=f"b{n}@buyer{n}.de", message_id=follow,
                 in_reply_to=answer, references=[root, answer], at=START + timedelta(days=1, minutes=n),
                 body="Thank you, we order 500 pieces.\n")
        )  # fmt: skip
    return answers[:100], inquiries, answers[100:], follow_ups, root_of


async def _state(db: Database) -> tuple[int, int, int]:
    """(cursor position, inbox messages, archive rows up to the cursor)."""
    async with db.session() as session:
        position = await session.scalar(select(IngestCursor.position)) or 0
        placed = await session.scalar(select(func.count()).select_from(ConversationMessage)) or 0
        covered = await session.scalar(select(func.count()).where(Message.id <= position)) or 0
    return int(position), int(placed), int(covered)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_cli(request: pytest.FixtureRequest, ready_cli: CLI) -> tuple[CLI, str]:
    if request.param == "sqlite":
        return ready_cli, f"sqlite:///{ready_cli.root / 'data' / 'mailwarden.db'}"
    url = request.getfixturevalue("pg_url")
    ready_cli.config.write_text(f'database_url = "{url}"\n' + ready_cli.config.read_text())
    migrated = ready_cli("migrate")
    assert migrated.code == 0, migrated.output
    return ready_cli, url


async def _worker(cli: CLI) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mailwarden", "worker", "--no-sync", "--json",
        env={**cli.env, "MAILWARDEN_INBOX__BATCH": "25"},
        cwd=cli.root,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_kill_9_during_ingest_then_restart_places_every_message_once(
    engine_cli: tuple[CLI, str],
) -> None:
    cli, url = engine_cli
    assert cli("agent", "add", "alice", "--email", "alice@example.test").code == 0
    assert cli("agent", "add", "bob", "--email", "bob@example.test").code == 0
    cli.config.write_text(  # round the clock: the assignment does not depend on when the test runs
        cli.config.read_text() + '\n[inbox.teams.sales]\nhours = { timezone = "UTC", hours = { "mon-sun" = '
        '"00:00-24:00" } }\n'
    )
    first_answers, inquiries, answers, follow_ups, root_of = _corpus()
    async with Database(url) as db:
        archive = await FilledArchive.create(db, cli.root / "data" / "archive")
        await archive.add(*first_answers, folder="Sent")
        await archive.add(*inquiries)
        await archive.add(*answers, folder="Sent")
        await archive.add(*follow_ups)
        total = INQUIRIES + ANSWERS + FOLLOW_UPS

        # WHEN the worker (ingest, assignment, SLA) is killed with SIGKILL in the middle of its work
        process = await _worker(cli)
        deadline = time.monotonic() + LIVENESS
        position = 0
        while position < total // 3:
            if process.returncode is not None or time.monotonic() > deadline:
                stderr = await process.stderr.read() if process.stderr else b""
                pytest.fail(f"the ingest ended or stalled before a third: {stderr.decode()[-2000:]}")
            await asyncio.sleep(0.005)
            position = (await _state(db))[0]
        os.kill(process.pid, signal.SIGKILL)
        assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL

        # THEN what is stored is whole batches with their cursor: every row up to it placed, none after
        position, placed, covered = await _state(db)
        assert 0 < position < total
        assert placed == covered

        # WHEN it runs again, THEN it finishes the rest, and every message is in exactly one conversation
        restarted = await _worker(cli)
        deadline = time.monotonic() + LIVENESS
        while (await _state(db))[1] < total:
            assert restarted.returncode is None and time.monotonic() < deadline, "restarted worker stalled"
            await asyncio.sleep(0.05)
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(restarted.wait(), 60) == 0
        async with db.session() as session:
            assigned = (
                await session.execute(
                    select(InboxEvent.conversation_id, func.count())
                    .where(InboxEvent.kind == "assigned")
                    .group_by(InboxEvent.conversation_id)
                )
            ).all()
            chain = await verify_chain(session, "inbox")
        # each inquiry assigned exactly once, none twice for being placed in a batch that was killed; the
        # hundred whose answer was archived first too: our own mail opened them, the customer's message that
        # attached to them is their first inquiry
        assert len(assigned) == INQUIRIES and len(first_answers) == 100 and {n for _, n in assigned} == {1}
        assert chain.ok
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(ConversationMessage.message_id, ConversationMessage.conversation_id)
                )
            ).all()
            conversations = await session.scalar(select(func.count()).select_from(Conversation))
        assert len(rows) == total
        assert len({message_id for message_id, _ in rows}) == total
        assert all(conversation_id is not None for _, conversation_id in rows)
        assert conversations == INQUIRIES
        thread = {}
        for message_id, conversation_id in rows:
            assert thread.setdefault(root_of[message_id], conversation_id) == conversation_id
        assert len(set(thread.values())) == INQUIRIES

        # AND reading the whole archive again changes nothing
        again = cli("inbox", "ingest", "--from-start", "--json")
        assert again.code == 0, again.output
        assert again.json["outcomes"] == {"already": total}
        async with db.session() as session:
            after = (
                await session.execute(
                    select(ConversationMessage.message_id, ConversationMessage.conversation_id)
                )
            ).all()
        assert sorted(after) == sorted(rows)
        print(f"again from the start: {again.json['seconds']} s")
