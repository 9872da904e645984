"""The ``mailwarden`` command: the entry point, and the exit-code contract.

Nothing heavy is imported before it is needed. A no-change ``archive sync`` is first offered to the quick
check (:mod:`.quick`), which answers from ``sqlite3`` and one IMAP LIST-STATUS before Typer, Rich or
SQLAlchemy are loaded; anything it is not sure about goes on to the Typer command. Then only the command group
being run is imported (see :mod:`.app`).

Importing this module loads nothing else, and must stay so: the archive's worker processes run the
``mailwarden`` script as their main module when they start (multiprocessing does so for a main module it
knows only by path), and paid 0.5 s each for Typer, the settings and SQLAlchemy when it did.
"""

from __future__ import annotations

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
    "inbox": ("inbox", "app", True),
    "token": ("token", "app", True),
    "worker": ("worker", "worker", False),
    "serve": ("worker", "serve", False),
    "demo": ("demo", "demo", False),
}


def build(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or only ``only`` (one of :data:`COMMANDS`)."""
    from mailwarden.cli.app import build as build_app

    return build_app(only)


def _requested(argv: Sequence[str]) -> str | None:
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def main() -> None:
    from mailwarden.cli.quick import try_quick

    try:
        code = try_quick(sys.argv[1:])
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    if code is not None:
        raise SystemExit(code)

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
