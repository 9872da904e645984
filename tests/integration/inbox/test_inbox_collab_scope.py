"""Every collaboration service, called by a user without rights to the mailbox, answers "not found" —
the same as for something that does not exist — and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from mailwarden.core.errors import NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.canned import add_canned, get_canned, render_canned
from mailwarden.inbox.contacts import list_merge_candidates, merge_contacts
from mailwarden.inbox.merge import merge_conversations, split_conversation
from mailwarden.inbox.notes import add_note, edit_note, list_notes
from mailwarden.inbox.service import list_conversations
from mailwarden.inbox.tags import change_tags, tag_counts

from inbox_archive import TOKEN_KEY, later, mail
from inbox_collab_env import make_team

ACTOR = "api:outsider"


async def test_an_outsider_gets_nothing_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    team = await make_team(db, tmp_path, channel=False)
    await team.archive.add(
        mail(
            "Second address",
            sender="Anna Weber <a.weber@weber-gmbh.de>",
            message_id="q9@weber",
            at=later(300),
        )
    )
    await team.ingest()
    weber, claire, third = await team.conversations()
    note = await add_note(db, weber.id, "internal", author="Li Lei")
    await change_tags(db, weber.id, add=["vip"], actor="agent:Li Lei")
    await add_canned(db, "sales-only", "Hi {customer_name}", mailbox="sales", actor="agent:Li Lei")
    message = next(m.id for m in await team.messages() if m.message_id == "q2@weber")
    before = (await team.placement(), [c.merged_into_id for c in await team.conversations()])
    outside = [weber.mailbox_id + 1000]

    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: add_note(db, weber.id, "x", author="Li Lei", mailbox_ids=outside),
        lambda: edit_note(db, note.note.id, "x", editor="Li Lei", mailbox_ids=outside),
        lambda: list_notes(db, weber.uid, mailbox_ids=outside),
        lambda: change_tags(db, weber.id, add=["x"], actor=ACTOR, mailbox_ids=outside),
        lambda: get_canned(db, "sales-only", mailbox_ids=outside),
        lambda: render_canned(db, "sales-only", weber.id, agent="Li Lei", mailbox_ids=outside),
        lambda: merge_conversations(db, weber.id, claire.id, actor=ACTOR, mailbox_ids=outside),
        lambda: split_conversation(
            db, weber.id, [message], token_key=TOKEN_KEY, actor=ACTOR, mailbox_ids=outside
        ),
        lambda: merge_contacts(
            db, weber.contact_id or 0, third.contact_id or 0, actor=ACTOR, mailbox_ids=outside
        ),
        lambda: list_conversations(db, mailbox="sales", tag="vip", mailbox_ids=outside),
    ]
    for call in calls:
        with pytest.raises(NotFoundError):
            await call()
    assert (await list_conversations(db, tag="vip", mailbox_ids=outside)).total == 0
    assert await tag_counts(db, mailbox_ids=outside) == []
    assert await list_merge_candidates(db, mailbox_ids=outside) == []
    assert len(await list_merge_candidates(db, mailbox_ids=[weber.mailbox_id])) == 1
    after = (await team.placement(), [c.merged_into_id for c in await team.conversations()])
    assert after == before
    [kept] = await list_notes(db, weber.id)
    assert (kept.text, kept.version) == ("internal", 1)
