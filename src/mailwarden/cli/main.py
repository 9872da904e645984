"""The ``mailwarden`` command: the root, the global options, and the exit-code contract.

Only the command group being run is imported: each group pulls in its own world (the archive's database
models, diagnose's DNS and HTTP clients, notify's transports), and a no-change ``archive sync`` is meant to
take a fraction of a second. ``mailwarden --help`` and an unknown command load them all, so help and
"did you mean" list every command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from mailwarden import __version__
from mailwarden.cli.common import current
from mailwarden.core.errors import MailwardenError

__all__ = ["COMMANDS", "build", "main"]

#: command name -> (module under mailwarden.cli, attribute, whether it is a group of subcommands)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "init": ("setup", "init", False),
    "migrate": ("setup", "migrate", False),
    "mailbox": ("mailbox", "app", True),
    "archive": ("archive", "app", True),
    "diagnose": ("diagnose", "diagnose_command", False),
    "notify": ("notify", "app", True),
    "agent": ("agent", "app", True),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mailwarden {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version. 显示版本。"),
    ] = False,
) -> None:
    """mailwarden."""


def build(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or only ``only`` (one of :data:`COMMANDS`)."""
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
    app.callback()(root)
    for name, (module, attribute, group) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"mailwarden.cli.{module}"), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _requested(argv: Sequence[str]) -> str | None:
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def main() -> None:
    app = build(_requested(sys.argv[1:]))
    try:
        app()
    except MailwardenError as exc:
        try:
            current().fail(exc)
        except typer.Exit as done:
            raise SystemExit(done.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
