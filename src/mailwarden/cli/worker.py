"""``mailwarden worker`` and ``mailwarden serve``: the long-running processes."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async

Reconcile = Annotated[
    float,
    typer.Option(
        "--reconcile-minutes",
        min=0.05,
        help="Full pass over every folder (Sent, Archive, ...) besides IDLE on INBOX. 全量核对间隔（分钟）。",
    ),
]

NoSync = Annotated[
    bool,
    typer.Option(
        "--no-sync",
        help="Do not watch the mailboxes (another process keeps the archive current). 不监听邮箱。",
    ),
]


def worker(
    no_sync: NoSync = False,
    reconcile_minutes: Reconcile = 15.0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Run sync, ingest, assignment, SLA timers, replies, notify until SIGTERM. 运行后台任务。"""
    from mailwarden.workers.parts import WorkerConfig
    from mailwarden.workers.service import Workers

    run = Run(config, as_json, lang)
    box = run.secret_box()

    async def go() -> None:
        async with run.database() as db:
            options = WorkerConfig(sync=not no_sync, reconcile_every=reconcile_minutes * 60)
            workers = Workers(db, run.settings, box, options)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            run.say(run.t("cli.worker_started"))
            run.event({"event": "started"})
            statuses = await workers.run(stop)
            run.event({"event": "stopped", "parts": [s.as_dict() for s in statuses.values()]})
            run.say(run.t("cli.worker_stopped"))

    run_async(go)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on. 监听地址。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port. 端口。")] = 8080,
    workers: Annotated[
        bool,
        typer.Option(
            "--workers/--no-workers", help="Run the workers in this process too. 同时运行后台任务。"
        ),
    ] = True,
    no_sync: NoSync = False,
    reconcile_minutes: Reconcile = 15.0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Serve the REST API (and, by default, the workers) until SIGTERM. 提供 REST API 服务，直到 SIGTERM。"""
    import uvicorn

    from mailwarden.web.app import create_app
    from mailwarden.web.server import Server
    from mailwarden.workers.parts import WorkerConfig
    from mailwarden.workers.service import Workers

    run = Run(config, as_json, lang)
    box = run.secret_box()

    async def go() -> None:
        async with run.database() as db:
            options = WorkerConfig(sync=not no_sync, reconcile_every=reconcile_minutes * 60)
            background = Workers(db, run.settings, box, options) if workers else None
            app = create_app(
                run.settings, db, background=(lambda _app: background.running()) if background else None
            )
            app.state.workers = background
            server = Server(
                uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
            )
            if background is not None:
                await background.check()  # a configuration mistake: said now, not after the first request
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, server.stop)
            run.say(run.t("cli.serving", url=f"http://{host}:{port}/docs"))
            run.event({"event": "serving", "host": host, "port": port})
            await server.serve()
            if server.started is False:  # the port was taken, or the lifespan failed: uvicorn said why
                raise typer.Exit(1)
            run.say(run.t("cli.worker_stopped"))

    run_async(go)
