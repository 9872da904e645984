"""Assigning conversations: as ingest opens them, from the team queue, and by hand.

:class:`Assigner` holds the teams (``Teams(settings.inbox)``) and offers

- :meth:`Assigner.on_placed` — the ingest hook: every conversation a customer's mail NEWLY OPENED, or
  first reached after our own mail opened it (not noise), is decided (:func:`.assign_decide.decide`:
  sticky owner, rules, the team's chooser) and, in the batch's transaction, assigned with an
  ``assigned`` event and an ``inquiry.new`` alert naming the assignee — or put in the team queue with a
  ``queued`` event (and the alert, naming nobody: a new inquiry no one can take now is news too);
- :meth:`Assigner.assign_waiting` — the queue, tried again (the worker calls it at ``back_at``, and after a
  change that can free someone: away off, an absence removed, a capacity raised, conversations closed);
- :meth:`Assigner.reassign` — by hand, to an agent or back to the queue.

**Cost per batch**: the agents, their settings and absences, the rules, the open counts and the rotation
pointers are loaded once per batch transaction (kept in ``session.info``); per new conversation there is
one query for its owners, the rotation write, the event and the alert.

**Concurrency**: before deciding, an assigner locks every team's rotation row in name order (``SELECT ...
FOR UPDATE`` on PostgreSQL; on SQLite the transaction's write lock does it) and reads the pointers under the
lock, so two assigners — an ingest batch and a queue run, or two workers — take turns one after the other
and never both give the same slot. The queue row of a conversation is deleted before it is decided again,
and a conversation whose row someone else deleted first is left to them.

**Lock order** (PostgreSQL), the same in every assigner so none waits for another in a circle: the ingest
cursor (a batch's claim; a queue run takes it too), the teams' rotation rows, the conversations (a batch's
placed rows; a queue run's queued rows, in id order), then the audit chain's head (each event). A manual
reassignment locks its one conversation, then the audit head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core import clock
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.assign_agents import load_roster, open_counts
from mailwarden.inbox.assign_alert import announce
from mailwarden.inbox.assign_decide import Decision, Subject, decide
from mailwarden.inbox.assign_owner import note_answered, owners_of
from mailwarden.inbox.assign_rules import load_rules, spec_of
from mailwarden.inbox.assign_types import Assigned, Waiting, _Batch, _insert, _name_of, first_customer_message
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.models import Company, Contact, Conversation, IngestCursor
from mailwarden.inbox.models_assign import AssignQueue, AssignRotation
from mailwarden.inbox.place import Placed
from mailwarden.inbox.teams import TeamPolicy, Teams
from mailwarden.mailboxes.models import Mailbox

__all__ = ["Assigned", "Assigner", "Waiting", "note_answered"]

_INFO_KEY = "mailwarden.inbox.assign"
_EMAILS_KEY = "mailwarden.inbox.assign.emails"


class Assigner:
    """Assignment for the configured teams (see the module docstring)."""

    def __init__(self, teams: Teams, *, actor: str = events.system_actor("assign")) -> None:
        self.teams = teams
        self.actor = actor

    # --- loading, once per transaction ------------------------------------------------------------
    async def _batch(self, session: AsyncSession, at: datetime | None = None) -> _Batch:
        found = session.info.get(_INFO_KEY)
        if isinstance(found, _Batch):
            return found
        names = sorted(team.name for team in self.teams.all())
        insert = _insert(session)
        await session.execute(
            insert.values(
                [{"team": n, "turns": 0, "updated_at": clock.now()} for n in names]
            ).on_conflict_do_nothing()
        )
        locked = await session.scalars(
            select(AssignRotation)
            .where(AssignRotation.team.in_(names))
            .order_by(AssignRotation.team)
            .with_for_update()
        )
        rotations = {row.team: row for row in locked}
        rule_rows = await load_rules(session)
        now = as_utc(at or clock.now())
        batch = _Batch(
            at=now,
            roster=await load_roster(session, now),
            rules=[spec_of(row) for row in rule_rows],
            counts=await open_counts(session),
            mailboxes={i: n for i, n in (await session.execute(select(Mailbox.id, Mailbox.name))).all()},
            rotations=rotations,
            rule_rows={row.name: row for row in rule_rows},
        )
        session.info[_INFO_KEY] = batch
        return batch

    # --- the ingest hook --------------------------------------------------------------------------
    async def on_placed(self, session: AsyncSession, placed: Placed) -> None:
        """Assign a conversation a customer's message just opened (see the module docstring); and when an
        agent wrote from their own address (a salesperson answering from their mailbox, the shared address
        in Cc), make them the customer's sticky owner, as a reply through mailwarden does."""
        if placed.direction == "out":
            await self._answered_from_own_address(session, placed)
            return
        if placed.outcome not in ("opened", "attached") or placed.noise != "person" or placed.history:
            return  # the mailbox's past is filed, not given to anyone
        if placed.conversation_id is None:  # pragma: no cover - a placed message has one
            return
        conversation = await session.get(Conversation, placed.conversation_id)
        assert conversation is not None
        if placed.outcome == "attached" and not await first_customer_message(session, conversation):
            return
        batch = await self._batch(session)
        team = self.teams.for_mailbox(batch.mailboxes.get(conversation.mailbox_id, ""))
        if team is None:
            return  # no team answers this mailbox: archived, not answered
        at = as_utc(clock.now())  # who is available now, whenever the customer wrote
        subject = await self._subject(session, batch, conversation, placed.text)
        decision = decide(
            team,
            batch.roster.members(team),
            batch.rules,
            subject,
            at,
            batch.counts,
            batch.team_last(team.name),
        )
        await self._apply(session, batch, team, conversation, decision, first=True, placed=placed)

    async def _answered_from_own_address(self, session: AsyncSession, placed: Placed) -> None:
        if placed.outcome not in ("opened", "attached") or placed.noise != "person":
            return  # a copy, or our reply sent through mailwarden (the reply code noted it)
        if placed.conversation_id is None:
            return
        by_email = session.info.get(_EMAILS_KEY)
        if not isinstance(by_email, dict):
            agents = await session.scalars(select(Agent))
            by_email = session.info[_EMAILS_KEY] = {agent.email.casefold(): agent for agent in agents}
        agent = by_email.get((placed.message.from_addr or "").casefold())
        if agent is None:
            return  # the shared address: who wrote is unknown
        conversation = await session.get(Conversation, placed.conversation_id)
        if conversation is not None:
            await note_answered(session, conversation, agent)

    async def _subject(
        self, session: AsyncSession, batch: _Batch, conversation: Conversation, text: str
    ) -> Subject:
        company = await session.get(Company, conversation.company_id) if conversation.company_id else None
        contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        company_owner, contact_owner = await owners_of(
            session, conversation.company_id, conversation.contact_id
        )
        return Subject(
            mailbox=batch.mailboxes.get(conversation.mailbox_id, ""),
            language=conversation.language or (contact.language if contact else None),
            company_country=company.country if company else None,
            contact_country=contact.country if contact else None,
            subject=conversation.subject,
            text=text,
            company_owner=company_owner,
            contact_owner=contact_owner,
        )

    async def _apply(
        self,
        session: AsyncSession,
        batch: _Batch,
        team: TeamPolicy,
        conversation: Conversation,
        decision: Decision,
        *,
        first: bool,
        placed: Placed | None = None,
        queued_at: datetime | None = None,
    ) -> Assigned:
        """Store ``decision``: the assignee, the pointer that moved, the event, the alert; or the queue."""
        if decision.agent is None:
            await self._queue(session, team, conversation, decision.why, decision.back_at, queued_at)
            if first:
                await events.record(
                    session,
                    conversation,
                    "queued",
                    actor=self.actor,
                    detail={"team": team.name, "why": decision.why},
                )
                await announce(session, conversation, None, placed, f"inquiry/{conversation.uid}")
            return Assigned(
                conversation.id, conversation.uid, None, None, decision.why, True, decision.back_at
            )
        agent = batch.roster.by_name(decision.agent)
        assert agent is not None  # decide() only names agents of the roster
        previous = await _name_of(session, batch, conversation.assignee_id)
        conversation.assignee_id = agent.id
        batch.counts[agent.uid] = batch.counts.get(agent.uid, 0) + 1
        if decision.pointer is not None:
            self._move_pointer(batch, decision.pointer)
        await events.record(
            session,
            conversation,
            "assigned",
            actor=self.actor,
            detail={"agent": agent.name, "previous": previous, "why": decision.why},
        )
        key = f"inquiry/{conversation.uid}" if first else f"inquiry/{conversation.uid}/{agent.uid}"
        await announce(session, conversation, agent, placed, key)
        return Assigned(conversation.id, conversation.uid, agent.name, previous, decision.why, False)

    def _move_pointer(self, batch: _Batch, pointer: tuple[str, str, str]) -> None:
        """Record the turn on the locked row (flushed with the event that follows: no UPDATE of its own)."""
        kind, name, uid = pointer
        if kind == "team":
            rotation = batch.rotations[name]
            rotation.last_agent, rotation.turns, rotation.updated_at = uid, rotation.turns + 1, clock.now()
            return
        rule = batch.rule_rows[name]
        rule.last_agent, rule.turns = uid, rule.turns + 1
        batch.rules = [spec_of(batch.rule_rows[r.name]) if r.name == name else r for r in batch.rules]

    async def _queue(
        self,
        session: AsyncSession,
        team: TeamPolicy,
        conversation: Conversation,
        why: Mapping[str, Any],
        back_at: datetime | None,
        queued_at: datetime | None = None,
    ) -> None:
        """Into the team queue (or its entry updated); ``queued_at`` kept when it is tried again, so the
        queue stays first come, first served."""
        values = {"team": team.name, "retry_at": back_at, "why": dict(why)}
        stmt = _insert(session, AssignQueue).values(
            conversation_id=conversation.id, queued_at=queued_at or clock.now(), **values
        )
        await session.execute(stmt.on_conflict_do_update(index_elements=["conversation_id"], set_=values))

    # --- the queue ---------------------------------------------------------------------------------
    async def assign_waiting(self, db: Database, at: datetime | None = None) -> Waiting:
        """Try every queued conversation again, oldest first, at ``at`` (default now). Conversations closed
        or assigned meanwhile leave the queue; those of a ``manual`` team stay for a person to take."""
        at = as_utc(at or clock.now())
        report = Waiting()
        async with db.session() as session, session.begin():
            if session.get_bind().dialect.name != "sqlite":
                # the lock order of an ingest batch (cursor, then rotation, then conversations, then the
                # audit head): taking the cursor first, a queue run and a batch never wait for each other
                # in a circle. SQLite has one write lock: nothing to order.
                await session.execute(select(IngestCursor.name).with_for_update())
            batch = await self._batch(session, at)
            batch.at = at
            queued = list(
                await session.scalars(
                    select(AssignQueue).order_by(AssignQueue.queued_at, AssignQueue.conversation_id)
                )
            )
            # every row this run may change, locked in id order before the first event takes the audit head
            await session.execute(
                select(Conversation.id)
                .where(Conversation.id.in_([entry.conversation_id for entry in queued]))
                .order_by(Conversation.id)
                .with_for_update()
            )
            for entry in queued:
                conversation = await session.get(Conversation, entry.conversation_id)
                # the team that answers its mailbox now (teams are configuration: they can change)
                mailbox = batch.mailboxes.get(conversation.mailbox_id, "") if conversation else ""
                team = self.teams.for_mailbox(mailbox)
                gone = (
                    conversation is None
                    or conversation.status == "closed"
                    or conversation.assignee_id is not None
                )
                if gone or team is None:
                    await session.execute(
                        delete(AssignQueue).where(AssignQueue.conversation_id == entry.conversation_id)
                    )
                    continue
                assert conversation is not None
                if team.assign == "manual":
                    if entry.team != team.name:  # the mailbox went to another team
                        await session.execute(
                            update(AssignQueue)
                            .where(AssignQueue.conversation_id == entry.conversation_id)
                            .values(team=team.name)
                        )
                    report.still_queued += 1
                    continue
                taken = await session.execute(
                    delete(AssignQueue).where(AssignQueue.conversation_id == entry.conversation_id)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another assigner took it
                subject = await self._subject(session, batch, conversation, "")
                decision = decide(
                    team,
                    batch.roster.members(team),
                    batch.rules,
                    subject,
                    at,
                    batch.counts,
                    batch.team_last(team.name),
                )
                done = await self._apply(
                    session, batch, team, conversation, decision, first=False, queued_at=entry.queued_at
                )
                if done.queued:
                    report.still_queued += 1
                    if done.back_at is not None and (report.back_at is None or done.back_at < report.back_at):
                        report.back_at = done.back_at
                else:
                    report.assigned.append(done)
        return report

    # --- by hand -----------------------------------------------------------------------------------
    async def reassign(
        self,
        db: Database,
        conversation_ident: str | int,
        agent_name: str | None,
        *,
        actor: str,
        mailbox_ids: Sequence[int] | None = None,
        force: bool = False,
    ) -> Assigned:
        """Give the conversation to ``agent_name``, or (None) put it back in its team's queue. Unknown
        agent: ``NotFoundError``; an agent outside the team: ``InputError`` unless ``force``. The agent
        becomes the sticky owner of the customer (unless one was pinned by hand). Nothing changes, nothing
        is recorded, when the conversation has that assignee already."""
        text = str(conversation_ident).strip()
        by_id = text.isdigit() and len(text) <= 12
        condition = Conversation.id == int(text) if by_id else Conversation.uid == text.lower()
        async with db.session() as session, session.begin():
            # a write first: it locks the row (PostgreSQL) and takes SQLite's write lock before any read
            query = update(Conversation).where(condition)
            if mailbox_ids is not None:
                query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
            found = (
                await session.execute(query.values(updated_at=clock.now()).returning(Conversation.id))
            ).first()
            if found is None:
                raise NotFoundError("inbox.conversation_not_found", id=text[:64])
            conversation = await session.get(Conversation, found[0])
            assert conversation is not None
            mailbox = await session.get(Mailbox, conversation.mailbox_id)
            team = self.teams.for_mailbox(mailbox.name if mailbox else "")
            previous = await _name_of(session, None, conversation.assignee_id)
            if agent_name is None:
                return await self._unassign(session, conversation, team, previous, actor)
            agent = await session.scalar(select(Agent).where(Agent.name == agent_name))
            if agent is None:
                raise NotFoundError("agent.not_found", name=agent_name)
            if team is not None and not team.has_agent(agent.name) and not force:
                raise InputError("inbox.assign.not_in_team", agent=agent.name, team=team.name)
            why: dict[str, Any] = {"step": "manual", **({"forced": True} if force else {})}
            await note_answered(session, conversation, agent)  # a person's choice, even of the assignee
            if conversation.assignee_id == agent.id:
                return Assigned(conversation.id, conversation.uid, agent.name, previous, why, False)
            conversation.assignee_id = agent.id
            await session.execute(delete(AssignQueue).where(AssignQueue.conversation_id == conversation.id))
            await events.record(
                session,
                conversation,
                "assigned",
                actor=actor,
                detail={"agent": agent.name, "previous": previous, "why": why},
            )
            await announce(session, conversation, agent, None, f"inquiry/{conversation.uid}/{agent.uid}")
            return Assigned(conversation.id, conversation.uid, agent.name, previous, why, False)

    async def _unassign(
        self,
        session: AsyncSession,
        conversation: Conversation,
        team: TeamPolicy | None,
        previous: str | None,
        actor: str,
    ) -> Assigned:
        why: dict[str, Any] = {"step": "manual"}
        if team is None:
            raise InputError("inbox.assign.no_team", id=conversation.id)
        queued = await session.get(AssignQueue, conversation.id)
        if conversation.assignee_id is None and queued is not None:
            return Assigned(conversation.id, conversation.uid, None, None, why, True)
        conversation.assignee_id = None
        await self._queue(session, team, conversation, why, None)
        if previous is None:  # nobody had it (our own first mail): it joins the queue
            await events.record(
                session, conversation, "queued", actor=actor, detail={"team": team.name, "why": why}
            )
        else:
            detail = {"agent": None, "previous": previous, "why": why}
            await events.record(session, conversation, "assigned", actor=actor, detail=detail)
        return Assigned(conversation.id, conversation.uid, None, previous, why, True)
