"""Random sequences of merges and splits (seeded, so a failure replays): after every step each message is
in exactly one live conversation, every live conversation keeps a message, and every merged one points one
step to a live one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mailwarden.core.errors import ConflictError, InputError
from mailwarden.db.engine import Database
from mailwarden.inbox.merge import merge_conversations, split_conversation

from inbox_archive import TOKEN_KEY, later, mail
from inbox_collab_env import Team, make_team

STEPS = 25


async def _check(team: Team, total: int) -> None:
    conversations = {c.id: c for c in await team.conversations()}
    messages = await team.messages()
    assert len(messages) == total
    live = {cid for cid, c in conversations.items() if c.merged_into_id is None}
    for message in messages:
        assert message.conversation_id in live, message.message_id
    holding = {m.conversation_id for m in messages}
    assert live <= holding
    for conversation in conversations.values():
        if conversation.merged_into_id is not None:
            assert conversation.merged_into_id in live
            assert conversation.status == "closed"


@pytest.mark.parametrize("seed", [1, 2])
async def test_merges_and_splits_in_any_order_lose_nothing(db: Database, tmp_path: Path, seed: int) -> None:
    team = await make_team(db, tmp_path, channel=False)
    await team.archive.add(
        *(
            mail(f"Inquiry {n}", sender=f"Buyer {n % 3} <b{n % 3}@buyer.example>", message_id=f"x{n}@buyer",
                 at=later(10 * n))
            for n in range(8)
        )
    )  # fmt: skip
    await team.ingest()
    total = len(await team.messages())
    rng = random.Random(seed)
    done = {"merge": 0, "split": 0}
    for _ in range(STEPS):
        live = [c for c in await team.conversations() if c.merged_into_id is None]
        if rng.random() < 0.5 and len(live) > 1:
            into, source = rng.sample(live, 2)
            await merge_conversations(db, into.id, source.uid, actor="agent:test")
            done["merge"] += 1
        else:
            conversation = rng.choice(live)
            own = [m.id for m in await team.messages() if m.conversation_id == conversation.id]
            chosen = rng.sample(own, rng.randint(1, len(own)))
            if len(chosen) == len(own):  # everything: refused, nothing moved
                with pytest.raises(InputError) as refused:
                    await split_conversation(
                        db, conversation.id, chosen, token_key=TOKEN_KEY, actor="agent:t"
                    )
                assert refused.value.key == "inbox.collab.split_all"
            else:
                await split_conversation(db, conversation.id, chosen, token_key=TOKEN_KEY, actor="agent:t")
                done["split"] += 1
        await _check(team, total)
    assert done["merge"] and done["split"], done
    stale = next(c for c in await team.conversations() if c.merged_into_id is not None)
    with pytest.raises(ConflictError):
        await split_conversation(db, stale.id, [1], token_key=TOKEN_KEY, actor="agent:test")
