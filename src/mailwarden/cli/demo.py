"""``mailwarden demo``: the whole product on embedded servers and sample data, nothing to configure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailwarden.cli.common import EXIT_PROBLEM, LangOpt, Run
from mailwarden.core.errors import MailwardenError


def demo(
    tour: Annotated[
        bool,
        typer.Option("--tour", help="Scripted tour, then stop; exit 0 only if every step worked. 自动演示。"),
    ] = False,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Start over: replace the previous demo's data. 清除旧数据重新开始。"),
    ] = False,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="API port on 127.0.0.1 (0: any free port). 端口。")
    ] = 8025,
    live_every: Annotated[
        float,
        typer.Option("--live-every", min=5, help="Seconds between new inquiries. 新询盘间隔（秒）。"),
    ] = 60.0,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps everything. 演示数据目录。")
    ] = Path("demo-data"),
    lang: LangOpt = None,
) -> None:
    """Try mailwarden with no mail account: embedded mail server, sample mail, API, workers. 一键演示。"""
    from mailwarden.demo.run import DemoOptions, run_demo

    run = Run(None, False, lang)
    options = DemoOptions(
        root=directory, port=port, tour=tour, reset=reset, live_every=live_every, lang=run.lang
    )

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        ok = run_demo(options, say)
    except MailwardenError as exc:
        run.fail(exc)
    if not ok:
        raise typer.Exit(EXIT_PROBLEM)
