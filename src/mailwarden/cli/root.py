"""The root of the command tree: the application object and its global options (``--version``)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailwarden import __version__

__all__ = ["new_app"]


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


def new_app() -> typer.Typer:
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
    return app
