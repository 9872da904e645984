"""Assignment rules, stored in order: add, list, remove, move (``mailwarden inbox rule ...``, the API).

A rule names its conditions (mailboxes, countries, languages, keywords; all given must hold) and its agents
(one, or several who take turns). Positions are kept 1..n, so "move rule X to 2" means what it says.
Changes are audited in the ``inbox`` chain (target ``rule:<name>``). Whether a rule matches is decided in
:mod:`.assign_decide`; here the values are checked and stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.audit.service import record as audit_record
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.assign_decide import RuleSpec
from mailwarden.inbox.events import CHAIN
from mailwarden.inbox.models_assign import AssignRule
from mailwarden.mailboxes.models import Mailbox

__all__ = ["Rule", "add_rule", "list_rules", "load_rules", "move_rule", "remove_rule", "spec_of"]

_NAME = re.compile(r"^[\w.-][\w .-]{0,99}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Rule:
    name: str
    position: int
    mailboxes: list[str]
    countries: list[str]
    languages: list[str]
    keywords: list[str]
    agents: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "mailboxes": self.mailboxes,
            "countries": self.countries,
            "languages": self.languages,
            "keywords": self.keywords,
            "agents": self.agents,
        }


def _view(row: AssignRule) -> Rule:
    return Rule(
        row.name,
        row.position,
        list(row.mailboxes),
        list(row.countries),
        list(row.languages),
        list(row.keywords),
        list(row.agents),
    )


def _clean(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


async def _ordered(session: AsyncSession) -> list[AssignRule]:
    return list(await session.scalars(select(AssignRule).order_by(AssignRule.position, AssignRule.id)))


async def add_rule(
    db: Database,
    name: str,
    agents: Sequence[str],
    *,
    mailboxes: Sequence[str] = (),
    countries: Sequence[str] = (),
    languages: Sequence[str] = (),
    keywords: Sequence[str] = (),
    position: int | None = None,
    actor: str,
) -> Rule:
    """Add a rule at ``position`` (1 = tried first; None: last). Agents and mailboxes must exist."""
    name = name.strip()
    if not _NAME.match(name):
        raise InputError("inbox.assign.bad_rule_name", name=name)
    agent_names = _clean(agents)
    if not agent_names:
        raise InputError("inbox.assign.rule_needs_agent", name=name)
    country_codes = [c.upper() for c in _clean(countries)]
    for code in country_codes:
        if not _COUNTRY.match(code):
            raise InputError("inbox.assign.bad_country", value=code)
    language_codes = [c.lower() for c in _clean(languages)]
    for code in language_codes:
        if not _LANGUAGE.match(code):
            raise InputError("inbox.assign.bad_language", value=code)
    words = _clean(keywords)
    if any(len(word) > 200 for word in words):
        raise InputError("inbox.assign.bad_keyword")
    boxes = [m.casefold() for m in _clean(mailboxes)]
    async with db.session() as session, session.begin():
        known = set(await session.scalars(select(Agent.name).where(Agent.name.in_(agent_names))))
        for agent in agent_names:
            if agent not in known:
                raise NotFoundError("agent.not_found", name=agent)
        if boxes:
            names = {n.casefold() for n in await session.scalars(select(Mailbox.name))}
            for box in boxes:
                if box not in names:
                    raise NotFoundError("inbox.unknown_mailbox", name=box)
        if await session.scalar(select(AssignRule.id).where(AssignRule.name == name)) is not None:
            raise ConflictError("inbox.assign.rule_exists", name=name)
        rules = await _ordered(session)
        at = len(rules) if position is None else max(0, min(position - 1, len(rules)))
        row = AssignRule(
            name=name,
            position=0,
            mailboxes=boxes,
            countries=country_codes,
            languages=language_codes,
            keywords=words,
            agents=agent_names,
        )
        rules.insert(at, row)
        session.add(row)
        for index, each in enumerate(rules, 1):
            each.position = index
        try:
            await session.flush()
        except IntegrityError:
            raise ConflictError("inbox.assign.rule_exists", name=name) from None
        await audit_record(
            session,
            actor=actor,
            action="inbox.rule_added",
            target=f"rule:{name}",
            detail=_view(row).as_dict(),
            chain=CHAIN,
        )
        return _view(row)


async def list_rules(db: Database) -> list[Rule]:
    async with db.session() as session:
        return [_view(row) for row in await _ordered(session)]


def spec_of(row: AssignRule) -> RuleSpec:
    return RuleSpec(
        name=row.name,
        mailboxes=frozenset(row.mailboxes),
        countries=frozenset(row.countries),
        languages=frozenset(row.languages),
        keywords=tuple(row.keywords),
        agents=tuple(row.agents),
        last_agent=row.last_agent,
    )


async def load_rules(session: AsyncSession) -> list[AssignRule]:
    """The rules in order, as rows (the assigner moves their rotation pointers)."""
    return await _ordered(session)


async def _named(session: AsyncSession, name: str) -> tuple[list[AssignRule], AssignRule]:
    rules = await _ordered(session)
    row = next((r for r in rules if r.name == name), None)
    if row is None:
        raise NotFoundError("inbox.assign.rule_not_found", name=name)
    return rules, row


async def remove_rule(db: Database, name: str, *, actor: str) -> None:
    async with db.session() as session, session.begin():
        rules, row = await _named(session, name)
        await session.delete(row)
        for index, each in enumerate((r for r in rules if r is not row), 1):
            each.position = index
        await audit_record(
            session,
            actor=actor,
            action="inbox.rule_removed",
            target=f"rule:{name}",
            detail=_view(row).as_dict(),
            chain=CHAIN,
        )


async def move_rule(db: Database, name: str, position: int, *, actor: str) -> list[Rule]:
    """Move a rule to ``position`` (1-based; past the end: last). Returns the rules in their new order."""
    if position < 1:
        raise InputError("inbox.assign.bad_position", value=position)
    async with db.session() as session, session.begin():
        rules, row = await _named(session, name)
        previous = row.position
        rules.remove(row)
        rules.insert(min(position - 1, len(rules)), row)
        for index, each in enumerate(rules, 1):
            each.position = index
        await audit_record(
            session,
            actor=actor,
            action="inbox.rule_moved",
            target=f"rule:{name}",
            detail={"position": row.position, "previous": previous},
            chain=CHAIN,
        )
        return [_view(r) for r in rules]
