"""``mailwarden inbox assign|queue|assign-waiting|rule|owner|agent-hours|away|ooo|capacity|agent-status``.

Who takes a conversation: by hand, by rules, by sticky owner, by the team's rotation; and when agents can
take work. A change that can free someone (away off, an absence removed, more capacity, other hours) runs
the team queue at once, so a waiting inquiry does not wait for the worker's next turn.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailwarden.audit.service import local_actor
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError
from mailwarden.inbox import assign_agents
from mailwarden.inbox.assign import Assigned, Assigner, Waiting
from mailwarden.inbox.teams import Teams

_Name = Annotated[str, typer.Argument(metavar="AGENT", help="The agent's name. 成员姓名。")]


def _assigner(run: Run) -> Assigner:
    return Assigner(Teams(run.settings.inbox))


def _after_change(run: Run, assigner: Assigner) -> Waiting:
    """The queue, tried again after a change (see the module docstring)."""

    async def go() -> Waiting:
        async with run.database() as db:
            return await assigner.assign_waiting(db)

    waiting = run_async(go)
    if waiting.assigned:
        run.say(run.t("inbox.assign.queue_ran", assigned=len(waiting.assigned), waiting=waiting.still_queued))
    return waiting


def assign(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Conversation id (or uid). 会话编号。")],
    agent: Annotated[str | None, typer.Argument(metavar="AGENT", help="The agent. 成员。")] = None,
    unassign: Annotated[
        bool, typer.Option("--unassign", help="Back to the team queue. 退回团队队列。")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Even to an agent outside the team. 即使不在该团队。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Assign a conversation to an agent, or put it back in the queue. 指派会话或退回队列。"""
    run = Run(config, as_json, lang)
    if (agent is None) != unassign:
        run.fail(InputError("inbox.assign.agent_or_unassign"))
    assigner = _assigner(run)

    async def go() -> Assigned:
        async with run.database() as db:
            return await assigner.reassign(db, ident, agent, actor=local_actor(), force=force)

    done = run_async(go)
    if done.agent is None:
        run.say(run.t("inbox.assign.unassigned", id=done.conversation_id), style="green")
    else:
        run.say(run.t("inbox.assign.assigned", id=done.conversation_id, agent=done.agent), style="green")
    run.emit({"ok": True, **done.as_dict()})


def assign_waiting(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Try the team queue again now. 立即重试团队队列。"""
    run = Run(config, as_json, lang)
    waiting = _after_change(run, _assigner(run))
    if not waiting.assigned:
        run.say(run.t("inbox.assign.queue_ran", assigned=0, waiting=waiting.still_queued))
    if waiting.back_at is not None:
        run.say(run.t("inbox.assign.next_try", at=waiting.back_at.strftime("%Y-%m-%d %H:%M %Z")))
    run.emit({"ok": True, **waiting.as_dict()})


def agent_hours(
    name: _Name,
    hours: Annotated[
        str | None,
        typer.Argument(help='"mon-fri=09:00-12:00,13:30-18:00; sat=10:00-14:00". 工作时间。'),
    ] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA zone. 时区。")] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", help='Public holidays of this country ("none": none). 按此国家放假（none：不放假）。'
        ),
    ] = None,
    team_hours: Annotated[
        bool, typer.Option("--team-hours", help="Back to the team's hours. 恢复为团队工作时间。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set an agent's own working hours. 设置成员自己的工作时间。"""
    run = Run(config, as_json, lang)
    if team_hours == bool(hours or timezone or country is not None):
        run.fail(InputError("inbox.assign.hours_or_team"))
    assigner = _assigner(run)

    async def go() -> dict[str, Any] | None:
        own: dict[str, Any] | None = None
        if not team_hours:
            own = {}
            if hours:
                own["hours"] = assign_agents.parse_hours(hours)
            if timezone:
                own["timezone"] = timezone
            if country is not None:  # "none": no public holidays at all (a duty roster)
                own["country"] = "" if country.strip().lower() in ("", "none") else country.upper()
        async with run.database() as db:
            return await assign_agents.set_hours(db, assigner.teams, name, own, actor=local_actor())

    stored = run_async(go)
    run.say(run.t("inbox.assign.hours_set", name=name), style="green")
    waiting = _after_change(run, assigner)
    run.emit({"ok": True, "agent": name, "hours": stored, "assigned": len(waiting.assigned)})


def away(
    name: _Name,
    state: Annotated[str, typer.Argument(metavar="on|off", help="on: away; off: back. on 离开，off 回来。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Turn an agent's away switch on or off. 切换成员的离开状态。"""
    run = Run(config, as_json, lang)
    if state.lower() not in ("on", "off"):
        run.fail(InputError("inbox.assign.on_or_off", value=state))
    is_away = state.lower() == "on"
    assigner = _assigner(run)

    async def go() -> bool:
        async with run.database() as db:
            return await assign_agents.set_away(db, name, is_away, actor=local_actor())

    changed = run_async(go)
    run.say(run.t("inbox.assign.away_on" if is_away else "inbox.assign.away_off", name=name), style="green")
    assigned = 0 if is_away else len(_after_change(run, assigner).assigned)
    run.emit({"ok": True, "agent": name, "away": is_away, "changed": changed, "assigned": assigned})


def ooo(
    name: _Name,
    start: Annotated[str, typer.Argument(metavar="FROM", help="2026-12-24 or 2026-12-24T14:00. 开始。")],
    end: Annotated[
        str, typer.Argument(metavar="TO", help="A date alone includes that day. 结束（含当日）。")
    ],
    note: Annotated[str, typer.Option("--note", help="Why (shown to the team). 说明。")] = "",
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Record an out-of-office interval (times in the agent's zone). 记录外出时段（按成员时区）。"""
    from mailwarden.access.service import get_agent

    run = Run(config, as_json, lang)

    async def go() -> assign_agents.Absence:
        async with run.database() as db:
            agent = await get_agent(db, name)
            zone = agent.timezone or Teams(run.settings.inbox).all()[0].calendar.spec.timezone
            starts = assign_agents.parse_when(start, zone)
            ends = assign_agents.parse_when(end, zone, end=True)
            return await assign_agents.add_absence(db, name, starts, ends, note=note, actor=local_actor())

    absence = run_async(go)
    run.say(
        run.t(
            "inbox.assign.ooo_added",
            name=name,
            id=absence.id,
            start=absence.starts_at.isoformat(),
            end=absence.ends_at.isoformat(),
        ),
        style="green",
    )
    run.emit({"ok": True, "absence": absence.as_dict()})


def ooo_list(
    name: Annotated[str | None, typer.Argument(metavar="[AGENT]")] = None,
    past: Annotated[bool, typer.Option("--past", help="Include ended ones. 包括已结束的。")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List out-of-office intervals. 列出外出时段。"""
    run = Run(config, as_json, lang)

    async def go() -> list[assign_agents.Absence]:
        async with run.database() as db:
            return await assign_agents.list_absences(db, name, include_past=past)

    run.listing(
        "absences",
        run_async(go),
        lambda a: a.as_dict(),
        empty="inbox.assign.ooo_none",
        columns=("id", "agent", "from", "to", "note"),
        row=lambda a: (str(a.id), a.agent, a.starts_at.isoformat(), a.ends_at.isoformat(), a.note),
    )


def ooo_remove(
    absence_id: Annotated[int, typer.Argument(metavar="ID")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove an out-of-office interval. 删除外出时段。"""
    run = Run(config, as_json, lang)
    assigner = _assigner(run)

    async def go() -> None:
        async with run.database() as db:
            await assign_agents.remove_absence(db, absence_id, actor=local_actor())

    run_async(go)
    run.say(run.t("inbox.assign.ooo_removed", id=absence_id), style="green")
    waiting = _after_change(run, assigner)
    run.emit({"ok": True, "removed": absence_id, "assigned": len(waiting.assigned)})


def capacity(
    name: _Name,
    value: Annotated[str, typer.Argument(metavar="N|none", help="Most open conversations. 最多未结会话数。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set how many conversations not closed an agent takes at most. 设置成员最多承接的未结会话数。"""
    run = Run(config, as_json, lang)
    if value.lower() in ("none", "off", "-"):
        limit: int | None = None
    elif value.isdigit():
        limit = int(value)
    else:
        run.fail(InputError("inbox.assign.bad_capacity", value=value))
    assigner = _assigner(run)

    async def go() -> int | None:
        async with run.database() as db:
            return await assign_agents.set_capacity(db, name, limit, actor=local_actor())

    run_async(go)
    shown = run.t("inbox.assign.no_limit") if limit is None else str(limit)
    run.say(run.t("inbox.assign.capacity_set", name=name, capacity=shown), style="green")
    waiting = _after_change(run, assigner)
    run.emit({"ok": True, "agent": name, "capacity": limit, "assigned": len(waiting.assigned)})


def agent_status(
    names: Annotated[list[str] | None, typer.Argument(metavar="[AGENT]...")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Who can take conversations now, and why not. 谁现在可以接单，以及原因。"""
    run = Run(config, as_json, lang)
    teams = Teams(run.settings.inbox)

    async def go() -> list[assign_agents.AgentStatus]:
        async with run.database() as db:
            return await assign_agents.agent_status(db, teams, names=names or None)

    def state(s: assign_agents.AgentStatus) -> str:
        if s.available:
            return run.t("inbox.assign.available")
        text = run.t(f"inbox.assign.reason.{s.reason}")
        return text + (f" → {s.back_at.strftime('%Y-%m-%d %H:%M %Z')}" if s.back_at else "")

    run.listing(
        "agents",
        run_async(go),
        lambda s: s.as_dict(),
        empty="agent.none",
        columns=("agent", "team", "state", "open", "capacity"),
        row=lambda s: (s.name, s.team, state(s), str(s.open), "-" if s.capacity is None else str(s.capacity)),
    )


def queue(
    team: Annotated[str | None, typer.Option("--team", help="Only this team's. 仅此团队。")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Conversations waiting for an agent, oldest first. 等待指派的会话（最早的在前）。"""
    from mailwarden.inbox.assign_queue import QueuedConversation, list_queue

    run = Run(config, as_json, lang)

    async def go() -> list[QueuedConversation]:
        async with run.database() as db:
            return await list_queue(db, team=team)

    def retry(q: QueuedConversation) -> str:
        return q.retry_at.strftime("%Y-%m-%d %H:%M %Z") if q.retry_at else "-"

    run.listing(
        "queue",
        run_async(go),
        lambda q: q.as_dict(),
        empty="inbox.assign.queue_empty",
        columns=("id", "team", "mailbox", "since", "retry", "subject"),
        row=lambda q: (
            str(q.conversation_id),
            q.team,
            q.mailbox,
            q.queued_at.strftime("%Y-%m-%d %H:%M"),
            retry(q),
            q.subject,
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("assign")(assign)
    app.command("assign-waiting")(assign_waiting)
    app.command("agent-hours")(agent_hours)
    app.command("away")(away)
    app.command("ooo")(ooo)
    app.command("ooo-list")(ooo_list)
    app.command("ooo-remove")(ooo_remove)
    app.command("capacity")(capacity)
    app.command("agent-status")(agent_status)
    app.command("queue")(queue)
