"""``mailwarden archive sync [MAILBOX]`` when nothing changed: answered before Typer, Rich or SQLAlchemy load.

:func:`try_quick` recognises the command line (only ``--config``, ``--json``, ``--lang`` and ``--no-index``
besides an optional mailbox name; ``--full``, ``--help`` or anything unknown go to Typer), loads the settings
with the real loader, asks :func:`mailwarden.sync.quick.quick_sync`, and on "unchanged" prints exactly what
``cli.archive.sync`` prints for a pass that skipped every folder — the same text, the same JSON keys, exit
status 0. In every other case it returns None and the caller runs the Typer command, which does the full pass
and reports whatever the quick check met (a refused login, a busy lease, a broken configuration) the usual
way. It never prints anything before it is sure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailwarden.core import i18n, logs
from mailwarden.core.errors import MailwardenError
from mailwarden.core.settings import Settings, load_settings

__all__ = ["QuickRequest", "parse", "try_quick"]

log = logging.getLogger("mailwarden.sync.quick")


@dataclass(frozen=True)
class QuickRequest:
    mailbox: str | None = None
    config: Path | None = None
    as_json: bool = False
    lang: str | None = None
    no_index: bool = False


def parse(argv: Sequence[str]) -> QuickRequest | None:
    """The request, if ``argv`` is a plain ``archive sync``; None for anything else (Typer decides it)."""
    if len(argv) < 2 or argv[0] != "archive" or argv[1] != "sync":
        return None
    found: dict[str, Any] = {}
    args = list(argv[2:])
    while args:
        arg = args.pop(0)
        option, equals, value = arg.partition("=")
        if option in ("--config", "--lang"):
            if not equals:
                if not args or args[0].startswith("-"):
                    return None
                value = args.pop(0)
            if not value:
                return None
            found[option[2:]] = value
        elif arg == "--json":
            found["as_json"] = True
        elif arg == "--no-index":
            found["no_index"] = True
        elif arg.startswith("-") or "mailbox" in found:
            return None  # --full, --help, an unknown option, a second argument: Typer's to answer
        else:
            found["mailbox"] = arg
    config = found.pop("config", None)
    return QuickRequest(config=Path(config) if config is not None else None, **found)


def _line(text: str) -> str:
    """``text`` in green where Rich would colour it (``run.say(..., style="green")``)."""
    colour = (sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))) and not (
        os.environ.get("NO_COLOR") or os.environ.get("TERM") in ("dumb", "unknown")
    )
    return f"\x1b[32m{text}\x1b[0m" if colour else text


def try_quick(argv: Sequence[str]) -> int | None:
    """The exit status if the quick check answered the command; None to run the Typer command instead."""
    request = parse(argv)
    if request is None:
        return None
    try:
        settings = load_settings(request.config)
    except MailwardenError:
        return None  # the Typer command reports a broken configuration
    logs.setup(settings.log.level, settings.log.file, settings.log.json_format)
    return _answer(request, settings)


def _answer(request: QuickRequest, settings: Settings) -> int | None:
    from mailwarden.sync.quick import FallThrough, quick_sync

    try:
        indexing = settings.search.index_on_sync and not request.no_index
        answer = asyncio.run(quick_sync(settings, request.mailbox, index=indexing))
    except MailwardenError as exc:
        log.info("quick check: falling through: %s", exc)
        return None
    except Exception:  # a bug here must not stop the archive: logged with its traceback, the full pass runs
        log.warning("quick check failed unexpectedly; running the full pass", exc_info=True)
        return None
    if isinstance(answer, FallThrough):
        log.info("quick check: falling through: %s", answer.reason)
        return None
    log.info(
        "quick check: unchanged: %s", ", ".join(f"{r.mailbox} ({r.folders} folders)" for r in answer.runs)
    )
    lang = i18n.normalize(request.lang) if request.lang else settings.language
    results = [
        {
            "mailbox": run.mailbox,
            "status": "ok",
            "folders": run.folders,
            "folders_skipped": run.folders,
            "fetched": 0,
            "fetched_bytes": 0,
            "stored": 0,
            "tombstoned": 0,
            "flag_changes": 0,
            "seconds": round(run.seconds, 3),
            "error_kind": None,
            "error": None,
        }
        for run in answer.runs
    ]
    if request.as_json:
        index_part = None
        if answer.index_cursor is not None:  # what the full command says when it indexed nothing
            index_part = {"ok": True, "indexed": 0, "problems": 0, "cursor": answer.index_cursor}
        document = {"ok": True, "mailboxes": results, "index": index_part}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        for run in answer.runs:
            text = i18n.t(
                "archive.synced",
                lang,
                name=run.mailbox,
                fetched=0,
                mb=f"{0 / 1e6:.1f}",
                folders=run.folders,
                skipped=run.folders,
                tombstoned=0,
                seconds=f"{run.seconds:.1f}",
            )
            # the full command's progress display, empty when every folder is skipped, leaves a blank line
            sys.stdout.write("\n" + _line(text) + "\n")
    sys.stdout.flush()
    return 0
