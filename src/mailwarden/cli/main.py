"""The ``mailwarden`` command: the command tree and the exit-code contract.

Only the command group being run is imported: each group pulls in its own world (the archive's database
models, diagnose's DNS and HTTP clients, notify's transports), and a no-change ``archive sync`` is meant to
take a fraction of a second. ``mailwarden --help`` and an unknown command load them all, so help and
"did you mean" list every command.

Importing this module loads nothing else (typer, the settings and the database come with :func:`main`):
the archive's worker processes run the ``mailwarden`` script as their main module when they start
(multiprocessing does so for a main module it knows only by path), and paid 0.5 s each for it before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

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


def build(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or only ``only`` (one of :data:`COMMANDS`)."""
    from mailwarden.cli.root import new_app

    app = new_app()
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
    import typer

    from mailwarden.cli.common import current
    from mailwarden.core.errors import MailwardenError

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
