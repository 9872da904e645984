"""``mailwarden inbox status|priority|metrics``: statuses, priority and the inbox's numbers (contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError

if TYPE_CHECKING:
    from mailwarden.inbox.metrics import Metrics
    from mailwarden.inbox.sla_clock import SlaState
    from mailwarden.inbox.status import PriorityResult, StatusResult

__all__ = ["register"]

IdArg = Annotated[str, typer.Argument(metavar="ID", help="Conversation id (or uid). 会话编号。")]


def status(
    ident: IdArg,
    new: Annotated[
        str,
        typer.Argument(
            metavar="STATUS", help="open, pending, snoozed or closed. 状态：开放、待客户、暂缓、关闭。"
        ),
    ],
    until: Annotated[
        str | None,
        typer.Option("--until", help="Snooze until this time (ISO 8601 with offset). 暂缓至（带时区）。"),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set a conversation's status. 设置会话状态。"""
    from mailwarden.audit.service import local_actor
    from mailwarden.inbox.status import set_status

    run = Run(config, as_json, lang)
    when: datetime | None = None
    if until is not None:
        try:
            when = datetime.fromisoformat(until.strip())
        except ValueError:
            run.fail(InputError("inbox.slaw.until_bad", until=until))

    async def go() -> StatusResult:
        async with run.database() as db:
            return await set_status(db, ident, new, until=when, actor=local_actor())

    result = run_async(go)
    run.emit({"ok": True, **result.as_dict()})
    shown = run.t(f"inbox.status.{result.status}")
    if not result.changed:
        run.say(run.t("inbox.slaw.status_same", id=result.id, status=shown))
    elif result.snoozed_until is not None:
        run.say(run.t("inbox.slaw.status_snoozed", id=result.id, until=result.snoozed_until.isoformat()))
    else:
        previous = run.t(f"inbox.status.{result.previous}")
        run.say(run.t("inbox.slaw.status_set", id=result.id, previous=previous, status=shown), style="green")


def priority(
    ident: IdArg,
    new: Annotated[
        str,
        typer.Argument(metavar="PRIORITY", help="low, normal, high or urgent. 优先级：低、普通、高、紧急。"),
    ],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set a conversation's priority (its SLA targets follow). 设置会话优先级（SLA 目标随之变化）。"""
    from mailwarden.audit.service import local_actor
    from mailwarden.inbox.status import set_priority

    run = Run(config, as_json, lang)

    async def go() -> PriorityResult:
        async with run.database() as db:
            return await set_priority(db, ident, new, actor=local_actor())

    result = run_async(go)
    run.emit({"ok": True, **result.as_dict()})
    if result.changed:
        run.say(
            run.t(
                "inbox.slaw.priority_set", id=result.id, previous=result.previous, priority=result.priority
            ),
            style="green",
        )
    else:
        run.say(run.t("inbox.slaw.priority_same", id=result.id, priority=result.priority))


def metrics(
    since: Annotated[
        str | None, typer.Option("--since", help="Only inquiries from this day on (YYYY-MM-DD). 起始日期。")
    ] = None,
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="Only this mailbox. 仅此邮箱。")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """First-response times, SLA attainment and backlog. 首次回复时间、SLA 达成率与积压。"""
    from mailwarden.inbox.metrics import compute_metrics
    from mailwarden.inbox.teams import Teams

    run = Run(config, as_json, lang)
    day: date | None = None
    if since is not None:
        try:
            day = date.fromisoformat(since.strip())
        except ValueError:
            run.fail(InputError("inbox.slaw.since_bad", since=since))

    async def go() -> Metrics:
        teams = Teams(run.settings.inbox)
        async with run.database() as db:
            return await compute_metrics(db, teams, since=day, mailbox=mailbox)

    result = run_async(go)
    run.emit({"ok": True, **result.as_dict()})
    if not as_json:
        _show(run, result)


def sla(
    ident: IdArg,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """A conversation's SLA clock: cycles and due times. 会话的 SLA 计时：周期与到期时间。"""
    from mailwarden.inbox.status import conversation_sla
    from mailwarden.inbox.teams import Teams

    run = Run(config, as_json, lang)
    teams = Teams(run.settings.inbox)

    async def go() -> SlaState | None:
        async with run.database() as db:
            return await conversation_sla(db, teams, ident)

    state = run_async(go)
    run.emit({"ok": True, "sla": None if state is None else state.as_dict()})
    if as_json:
        return
    if state is None:
        run.say(run.t("inbox.slaw.sla_no_team", id=ident))
        return
    t = run.t
    status = t(f"inbox.slaw.clock_status.{state.status.value}")
    assignee = state.assignee or t("inbox.slaw.unassigned")
    run.say(t("inbox.slaw.sla_head", status=status, priority=state.priority.value, assignee=assignee))
    for cycle in state.cycles:
        run.say(
            t(
                f"inbox.slaw.sla_cycle_{cycle.clock.value}",
                number=cycle.number,
                outcome=t(f"inbox.slaw.outcome.{cycle.outcome.value}"),
                started=_local(cycle.started_at),
                due=_local(cycle.due_at),
                elapsed=_duration(cycle.elapsed.total_seconds()),
            ),
            style="red" if cycle.outcome.value == "breached" else None,
        )
    for timer in state.pending[:1]:
        run.say(t("inbox.slaw.sla_next", kind=t(f"inbox.slaw.timer.{timer.kind.value}"), at=_local(timer.at)))


def _local(at: datetime | None) -> str:
    return "-" if at is None else at.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _show(run: Run, result: Metrics) -> None:
    from rich.table import Table

    run.say(run.t("inbox.slaw.metrics_title"), style="bold")
    if not result.conversations:
        run.say(run.t("inbox.slaw.metrics_none"))
        return
    t = run.t
    table = Table(t("inbox.slaw.col_scope"), t("inbox.slaw.col_cycles"), t("inbox.slaw.col_median"),
                  t("inbox.slaw.col_p90"), title=t("inbox.slaw.metrics_frt"))  # fmt: skip
    for stat in result.first_response:
        if stat.scope == "team":
            scope = t("inbox.slaw.scope_team", name=stat.team)
        elif stat.scope == "agent":
            scope = t("inbox.slaw.scope_agent", name=stat.name or t("inbox.slaw.unassigned"))
        else:
            scope = t("inbox.slaw.scope_week", team=stat.team, week=stat.name or "")
        table.add_row(scope, str(stat.count), _duration(stat.median_seconds), _duration(stat.p90_seconds))
    run.out.print(table)
    table = Table(t("inbox.slaw.col_scope"), t("inbox.slaw.col_met"), t("inbox.slaw.col_breached"),
                  t("inbox.slaw.col_share"), title=t("inbox.slaw.metrics_attainment"))  # fmt: skip
    for item in result.attainment:
        scope = (
            t("inbox.slaw.scope_team", name=item.team)
            if item.week is None
            else t("inbox.slaw.scope_week", team=item.team, week=item.week)
        )
        share = "-" if item.share is None else f"{item.share:.0%}"
        table.add_row(scope, str(item.met), str(item.breached), share)
    run.out.print(table)
    table = Table(t("inbox.slaw.col_scope"), t("inbox.slaw.col_age"), t("inbox.slaw.col_count"),
                  title=t("inbox.slaw.metrics_backlog"))  # fmt: skip
    for bucket in result.backlog:
        table.add_row(t("inbox.slaw.scope_team", name=bucket.team), bucket.bucket, str(bucket.count))
    run.out.print(table)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("priority")(priority)
    app.command("metrics")(metrics)
    app.command("sla")(sla)
