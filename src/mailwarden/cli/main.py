"""The ``mailwarden`` command: the root, the global options, and the exit-code contract."""

from __future__ import annotations

from typing import Annotated

import typer

from mailwarden import __version__
from mailwarden.cli import agent, archive, mailbox, notify, setup
from mailwarden.cli.common import current
from mailwarden.core.errors import MailwardenError

app = typer.Typer(
    name="mailwarden",
    help=(
        "Keeps a team's shared mailbox reachable, backed up and answered.\n\n"
        "让团队共享邮箱始终可用、有备份、有人及时回复。"
    ),
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with local variables could print a password: never show them.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(setup.init)
app.command()(setup.migrate)
app.add_typer(mailbox.app, name="mailbox")
app.add_typer(archive.app, name="archive")
app.add_typer(notify.app, name="notify")
app.add_typer(agent.app, name="agent")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mailwarden {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version. 显示版本。"),
    ] = False,
) -> None:
    """mailwarden."""


def main() -> None:
    try:
        app()
    except MailwardenError as exc:
        try:
            current().fail(exc)
        except typer.Exit as done:
            raise SystemExit(done.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
