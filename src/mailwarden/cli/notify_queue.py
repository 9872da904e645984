"""``mailwarden notify worker``, ``notify outbox`` and ``notify retry``: the delivery queue. Registered on the
``notify`` group by :mod:`mailwarden.cli.notify`."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Annotated, Any

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError
from mailwarden.notify import service
from mailwarden.notify.models import OutboxItem
from mailwarden.notify.transports.http import HTTP
from mailwarden.notify.worker import Event, Worker, WorkerOptions

__all__ = ["outbox", "retry", "worker"]


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then stop. 发完即停。")] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Seconds per request (default: [notify] timeout). 每次请求超时。"),
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option("--hold", help="Seconds a claim lasts, more than --timeout ([notify] hold). 认领时长。"),
    ] = None,
    poll: Annotated[
        float | None, typer.Option("--poll", help="Seconds between polls ([notify] poll). 轮询间隔。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Deliver queued alerts until SIGTERM. 持续发送排队的通知，直到收到 SIGTERM。"""
    run = Run(config, as_json, lang)
    settings = run.settings.notify
    seconds = settings.timeout if timeout is None else timeout
    held = settings.hold if hold is None else hold
    pause = settings.poll if poll is None else poll
    if seconds <= 0 or pause <= 0 or held <= seconds:
        run.fail(
            InputError(
                detail="--hold must be longer than --timeout (or a slow request loses its claim); "
                "--timeout and --poll must be positive"
            )
        )
    box = run.secret_box()
    options = WorkerOptions(
        hold=timedelta(seconds=held),
        poll=pause,
        allow_private_targets=settings.allow_private_targets,
    )

    def on_event(event: Event) -> None:
        run.event(
            {
                "event": event.outcome,
                "channel": event.channel,
                "keys": list(event.keys),
                "detail": event.detail,
            }
        )
        if event.outcome != "paced":
            run.say(
                run.t(
                    "notify.worker_event",
                    channel=event.channel,
                    outcome=event.outcome,
                    keys=", ".join(event.keys[:3]) + (" …" if len(event.keys) > 3 else ""),
                    detail=event.detail,
                )
            )

    async def go() -> None:
        async with run.database() as db:
            http = HTTP(timeout=seconds)
            deliverer = Worker(db, box, http, options, on_event=on_event)
            try:
                if once:
                    await deliverer.drain()
                    return
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, stop.set)
                run.say(run.t("notify.worker_started", worker=deliverer.name))
                run.event({"event": "started", "worker": deliverer.name})
                await deliverer.run(stop)
                run.say(run.t("notify.worker_stopped"))
            finally:
                await http.aclose()

    run_async(go)


def outbox(
    state: Annotated[
        str | None, typer.Option("--state", help="ready, claimed, done, failed or unknown. 状态。")
    ] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel. 只看此通道。")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Queued and recent alerts, newest first, with their errors. 发件队列。"""
    run = Run(config, as_json, lang)

    async def go() -> list[tuple[OutboxItem, str]]:
        async with run.database() as db:
            return await service.list_outbox(db, state=state, channel=channel, limit=limit)

    run.listing(
        "items",
        run_async(go),
        lambda pair: _item(*pair),
        empty="notify.outbox_empty",
        columns=("id", "channel", "alert", "state", "tries", "next try", "sent", "last error"),
        row=lambda pair: (
            str(pair[0].id),
            pair[1],
            pair[0].alert_key,
            pair[0].state,
            str(pair[0].tries),
            pair[0].run_after.isoformat(timespec="seconds") if pair[0].state == "ready" else "",
            pair[0].sent_at.isoformat(timespec="seconds") if pair[0].sent_at else "",
            (pair[0].last_error or "")[:100],
        ),
    )


def retry(
    item_id: Annotated[int, typer.Argument(help="The outbox id. 队列编号。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Queue an alert in doubt or failed again (it may then arrive twice). 重发状态未知或失败的通知。"""
    run = Run(config, as_json, lang)

    async def go() -> tuple[OutboxItem, str]:
        async with run.database() as db:
            return await service.requeue(db, item_id)

    item, name = run_async(go)
    run.say(run.t("notify.requeued", id=item.id, channel=name))
    run.emit({"ok": True, "item": _item(item, name)})


def _item(item: OutboxItem, channel: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "channel": channel,
        "alert": item.alert_key,
        "kind": item.alert_kind,
        "state": item.state,
        "tries": item.tries,
        "run_after": item.run_after,
        "sent_at": item.sent_at,
        "digest_of": item.digest_of,
        "last_error": item.last_error,
    }
