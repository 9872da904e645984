"""Which team answers a mailbox, and that team's business calendar, SLA policy, agents and assignment mode.

Read from ``[inbox.teams.<name>]`` (:class:`mailwarden.core.settings.TeamSettings`). A team that lists no
mailboxes answers every mailbox no other team names (at most one such team); with no team configured at
all there is one, ``team``, with the defaults. The calendar and policy are built once, when the settings
are loaded, so a mistake in them is a :class:`ConfigError` at start-up naming the team — not a crash at
the first message that needs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailwarden.core.errors import ConfigError
from mailwarden.core.settings import InboxSettings, TeamSettings
from mailwarden.inbox.hours import BusinessCalendar
from mailwarden.inbox.hours_spec import CalendarSpec
from mailwarden.inbox.sla_policy import SlaPolicy

__all__ = ["DEFAULT_TEAM", "TeamPolicy", "Teams"]

DEFAULT_TEAM = "team"


@dataclass(frozen=True, slots=True)
class TeamPolicy:
    name: str
    #: mailbox names, case-folded; empty: the catch-all team
    mailboxes: frozenset[str]
    #: agent names; empty: every agent
    agents: frozenset[str]
    #: round_robin | least_loaded | manual
    assign: str
    calendar: BusinessCalendar
    sla: SlaPolicy

    def has_agent(self, name: str) -> bool:
        return not self.agents or name in self.agents


def _policy(name: str, team: TeamSettings) -> TeamPolicy:
    try:
        calendar = BusinessCalendar(CalendarSpec.from_mapping(team.hours))
        sla = SlaPolicy.from_mapping(team.sla)
    except ConfigError as exc:
        raise ConfigError("inbox.team_bad", team=name, detail=exc.render("en")) from exc
    return TeamPolicy(
        name=name,
        mailboxes=frozenset(m.casefold() for m in team.mailboxes),
        agents=frozenset(team.agents),
        assign=team.assign,
        calendar=calendar,
        sla=sla,
    )


class Teams:
    """The configured teams, checked: each mailbox in one team at most, at most one catch-all team."""

    def __init__(self, settings: InboxSettings) -> None:
        configured = settings.teams or {DEFAULT_TEAM: TeamSettings()}
        self.by_name = {name: _policy(name, team) for name, team in sorted(configured.items())}
        self._by_mailbox: dict[str, TeamPolicy] = {}
        self._catch_all: TeamPolicy | None = None
        for policy in self.by_name.values():
            if not policy.mailboxes:
                if self._catch_all is not None:
                    raise ConfigError(
                        "inbox.team_mailbox_twice", name="*", first=self._catch_all.name, second=policy.name
                    )
                self._catch_all = policy
            for mailbox in policy.mailboxes:
                other = self._by_mailbox.setdefault(mailbox, policy)
                if other is not policy:
                    raise ConfigError(
                        "inbox.team_mailbox_twice", name=mailbox, first=other.name, second=policy.name
                    )

    def check_mailboxes(self, known: Iterable[str]) -> None:
        """Every mailbox a team names exists (called where the mailboxes are read: the worker's start)."""
        names = {name.casefold() for name in known}
        for mailbox, policy in sorted(self._by_mailbox.items()):
            if mailbox not in names:
                raise ConfigError("inbox.team_unknown_mailbox", team=policy.name, name=mailbox)

    def for_mailbox(self, name: str) -> TeamPolicy | None:
        """The team answering mailbox ``name``; None when no team does (its mail is archived, not
        answered: conversations are still made, and wait unassigned with no SLA clock)."""
        return self._by_mailbox.get(name.casefold(), self._catch_all)

    def all(self) -> list[TeamPolicy]:
        return list(self.by_name.values())
