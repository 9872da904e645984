"""Reading the inbox: listing with filters and pages, one conversation with its messages, and the mailbox
limit that keeps a reader away from mailboxes they may not see."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import service
from mailwarden.inbox.ingest import ingest, load_team

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail


@pytest.fixture
async def two(db: Database, tmp_path: Path) -> tuple[FilledArchive, FilledArchive]:
    """sales@ with three conversations (one answered), info@ with one."""
    sales = await FilledArchive.create(db, tmp_path)
    info = await FilledArchive.create(db, tmp_path, name="info", address="info@example.test")
    await sales.add(
        mail("LED panels", message_id="a1@weber", at=later(0)),
        mail("Solar lamps", sender="bob@lumen.fr", message_id="b1@lumen", at=later(10)),
        mail("Cables", sender="li@163.com", message_id="c1@163", at=later(20)),
    )
    first = mail("Re: LED panels", sender="sales@example.test", to="anna@weber-gmbh.de",
                 message_id="r1@example.test", in_reply_to="a1@weber", at=later(30))  # fmt: skip
    await sales.add(first, folder="Sent")
    await sales.add(first.replace(b"MIME-Version", b"X-Copy: saved by the client\r\nMIME-Version"))
    await info.add(mail("Question", sender="eve@shop.it", to="info@example.test", message_id="e1@shop"))
    await ingest(db, sales.store, await load_team(db, [TOKEN_KEY]))
    return sales, info


async def test_the_list_is_newest_first_and_filters_by_mailbox_and_status(
    two: tuple[FilledArchive, FilledArchive],
) -> None:
    db = two[0].db
    everything = await service.list_conversations(db)
    assert everything.total == 4
    sales = await service.list_conversations(db, mailbox="SALES")
    assert [c.subject for c in sales.items] == ["LED panels", "Cables", "Solar lamps"]
    assert [c.status for c in sales.items] == ["pending", "open", "open"]
    pending = await service.list_conversations(db, mailbox="sales", status="pending")
    assert [(c.subject, c.messages, c.company) for c in pending.items] == [("LED panels", 2, "weber-gmbh.de")]
    page = await service.list_conversations(db, mailbox="sales", limit=2, offset=2)
    assert (page.total, [c.subject for c in page.items]) == (3, ["Solar lamps"])


async def test_one_conversation_shows_a_copy_once(two: tuple[FilledArchive, FilledArchive]) -> None:
    db = two[0].db
    [answered] = (await service.list_conversations(db, status="pending")).items
    view = await service.show_conversation(db, answered.id)
    assert [(m.direction, m.copies) for m in view.messages] == [("in", 0), ("out", 1)]
    assert view.contact is not None and view.contact.addresses == ["anna@weber-gmbh.de"]
    assert view.company is not None and (view.company.domain, view.company.country) == ("weber-gmbh.de", "DE")
    assert (await service.show_conversation(db, answered.uid)).summary.id == answered.id


async def test_a_reader_limited_to_one_mailbox_sees_nothing_of_another(
    two: tuple[FilledArchive, FilledArchive],
) -> None:
    sales, info = two
    only_info = [info.mailbox.id]
    listed = await service.list_conversations(sales.db, mailbox_ids=only_info)
    assert [c.mailbox for c in listed.items] == ["info"] and listed.total == 1
    with pytest.raises(NotFoundError):
        await service.list_conversations(sales.db, mailbox="sales", mailbox_ids=only_info)
    [of_sales, *_] = (await service.list_conversations(sales.db, mailbox="sales")).items
    with pytest.raises(NotFoundError):  # the same answer as for a conversation that does not exist
        await service.show_conversation(sales.db, of_sales.id, mailbox_ids=only_info)


async def test_bad_filters_are_the_users_mistake(two: tuple[FilledArchive, FilledArchive]) -> None:
    db = two[0].db
    with pytest.raises(InputError):
        await service.list_conversations(db, status="waiting")
    with pytest.raises(InputError):
        await service.list_conversations(db, limit=0)
    with pytest.raises(NotFoundError):
        await service.show_conversation(db, "9" * 40)
