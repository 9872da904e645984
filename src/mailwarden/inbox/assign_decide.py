"""Who gets a conversation, decided from plain values: sticky owner, then rules, then the team's chooser.

Pure, like :mod:`.availability`: the caller (:mod:`.assign`) loads the agents, rules, owners, counts and
rotation pointers once per batch and stores what comes back. Each step that passes an agent over says why
(``skipped``), so the timeline can show "Anna is the owner but is out of office until Monday: round robin
gave it to Bo".

Steps, in order:

1. **sticky** — the company's owner, else the contact's: the first of them who is in the team and
   available now.
2. **rule** — the rules in order; a rule that matches gives the conversation to its agent (or the next of
   its agents in turn). A rule whose agents are all unavailable falls through to the next rule, then to
3. **the team's chooser** — ``round_robin`` or ``least_loaded`` among the team's available agents; with
   ``manual``, or when nobody is available, the conversation waits in the team queue (``agent`` None)
   with ``back_at``, when someone is expected back.

Agents outside the conversation's team are never chosen, whoever names them: a rule or an owner must not
hand a mailbox's mail to someone without rights to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailwarden.inbox.availability import AgentSchedule, least_loaded, round_robin, why_unavailable
from mailwarden.inbox.teams import TeamPolicy

__all__ = ["Decision", "Member", "RuleSpec", "Subject", "decide", "keyword_matches", "rule_matches"]

#: how much of a body the keywords are looked for in: an inquiry says what it is about near the top
BODY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Member:
    """An agent as the decision needs them: the schedule (``schedule.id`` is the agent's uid) and name."""

    name: str
    schedule: AgentSchedule

    @property
    def uid(self) -> str:
        return self.schedule.id


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    mailboxes: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    #: uid of the agent of this rule who had the last turn
    last_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """The conversation being assigned, as the rules and owners see it."""

    mailbox: str
    language: str | None = None
    company_country: str | None = None
    contact_country: str | None = None
    subject: str = ""
    text: str = ""
    #: names of the company's and the contact's sticky owners, if any
    company_owner: str | None = None
    contact_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """``agent`` (a name) or None: queue. ``why`` goes into the ``assigned`` event as it is.

    ``pointer``: the rotation that moved — ``("team", <team>)`` or ``("rule", <rule name>)`` — and the uid
    of the agent that took the turn; the caller stores it."""

    agent: str | None
    why: dict[str, Any]
    back_at: datetime | None = None
    pointer: tuple[str, str, str] | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def keyword_matches(keyword: str, text: str) -> bool:
    """Whether ``keyword`` is in ``text``: case-insensitive (Unicode case folding, full-width letters
    folded), as a whole word — "price" is not in "priceless" — unless it holds CJK characters, which
    are written without spaces between words and so match as substrings ("报价" in "请报价单")."""
    needle = _fold(keyword).strip()
    if not needle:
        return False
    haystack = _fold(text)
    if _CJK.search(needle):
        return needle in haystack
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def rule_matches(rule: RuleSpec, subject: Subject) -> bool:
    """Every condition the rule sets holds; a rule with no condition matches everything (a catch-all)."""
    if rule.mailboxes and subject.mailbox.casefold() not in rule.mailboxes:
        return False
    if rule.countries and not {subject.company_country, subject.contact_country} & rule.countries:
        return False
    if rule.languages and (subject.language or "").lower() not in rule.languages:
        return False
    if rule.keywords:
        text = f"{subject.subject}\n{subject.text[:BODY_CHARS]}"
        if not any(keyword_matches(keyword, text) for keyword in rule.keywords):
            return False
    return True


def decide(
    team: TeamPolicy,
    members: Mapping[str, Member],
    rules: Sequence[RuleSpec],
    subject: Subject,
    at: datetime,
    open_counts: Mapping[str, int],
    team_last: str | None,
) -> Decision:
    """Who takes the conversation at ``at`` (see the module docstring). ``members``: every agent by name
    (the team's and others: owners and rules may name anyone); ``open_counts`` by uid."""
    skipped: list[dict[str, Any]] = []

    def unavailable(name: str) -> str | None:
        member = members.get(name)
        if member is None:
            return "unknown"
        if not team.has_agent(name):
            return "not_in_team"
        reason = why_unavailable(member.schedule, at, open_counts.get(member.uid, 0))
        return None if reason is None else str(reason)

    owners = [("company", subject.company_owner), ("contact", subject.contact_owner)]
    seen: set[str] = set()
    for owner_of, name in owners:
        if name is None or name in seen:
            continue
        seen.add(name)
        step = {"step": "sticky", "owner_of": owner_of}
        reason = unavailable(name)
        if reason is None:
            return Decision(name, {**step, "skipped": skipped}, skipped=skipped)
        skipped.append({**step, "agent": name, "reason": reason})

    for rule in rules:
        if not rule_matches(rule, subject):
            continue
        step = {"step": "rule", "rule": rule.name}
        candidates: list[AgentSchedule] = []
        for name in rule.agents:
            if name not in members or not team.has_agent(name):
                reason = "unknown" if name not in members else "not_in_team"
                skipped.append({**step, "agent": name, "reason": reason})
            else:
                candidates.append(members[name].schedule)
        if candidates:
            choice = round_robin(candidates, at, rule.last_agent, open_counts)
            names = {m.uid: m.name for m in members.values()}
            skipped.extend(
                {**step, "agent": names[uid], "reason": str(r)} for uid, r in choice.skipped.items()
            )
            if choice.agent is not None:
                return Decision(
                    names[choice.agent],
                    {**step, "skipped": skipped},
                    pointer=("rule", rule.name, choice.agent),
                    skipped=skipped,
                )

    team_members = sorted((m for m in members.values() if team.has_agent(m.name)), key=lambda m: m.uid)
    if team.assign == "manual":
        return Decision(None, {"step": "queued", "mode": "manual", "skipped": skipped}, skipped=skipped)
    schedules = [m.schedule for m in team_members]
    if team.assign == "least_loaded":
        choice = least_loaded(schedules, at, open_counts, team_last)
    else:
        choice = round_robin(schedules, at, team_last, open_counts)
    names = {m.uid: m.name for m in team_members}
    step = {"step": team.assign}
    skipped.extend({**step, "agent": names[uid], "reason": str(r)} for uid, r in choice.skipped.items())
    if choice.agent is None:
        why = {"step": "queued", "mode": team.assign, "skipped": skipped}
        if choice.back_at is not None:
            why["back_at"] = choice.back_at.isoformat()
        return Decision(None, why, back_at=choice.back_at, skipped=skipped)
    return Decision(
        names[choice.agent],
        {**step, "skipped": skipped},
        pointer=("team", team.name, choice.agent),
        skipped=skipped,
    )
