"""The Typer application: the root, the global options, and the command groups asked for.

Only the command group being run is imported: each group pulls in its own world (the archive's database
models, diagnose's DNS and HTTP clients, notify's transports). ``mailwarden --help`` and an unknown command
load them all, so help and "did you mean" list every command.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from mailwarden import __version__
from mailwarden.cli.main import COMMANDS

__all__ = ["build"]


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
