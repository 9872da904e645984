"""``mailwarden init`` and ``mailwarden migrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.secrets import create_key_file
from mailwarden.core.settings import config_path

CONFIG_TEMPLATE = """\
# mailwarden configuration. Every setting can also come from the environment: MAILWARDEN_<NAME>
# (MAILWARDEN_LOG__LEVEL for [log] level); secrets also from MAILWARDEN_<NAME>_FILE.
# Reference: docs/configuration.md

# Where the database, the key file and the archive live (relative to this file).
data_dir = "{data_dir}"

# SQLite in data_dir by default. For several worker machines use PostgreSQL:
# database_url = "postgresql://mailwarden:PASSWORD@db.internal/mailwarden"

# The key that encrypts stored mailbox passwords. Back it up apart from the database:
# without it the stored credentials cannot be read. Default: data_dir/secret.key
# secret_key_file = "/etc/mailwarden/secret.key"

# Language of messages: "en" or "zh-CN".
language = "{language}"

[log]
level = "INFO"
# file = "data/mailwarden.log"
"""


def init(
    config: ConfigOpt = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where data is kept (for a new config). 数据目录。")
    ] = Path("data"),
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Create the configuration, the secret key and the database. Safe to run again. 初始化。"""
    run = Run(config, as_json, lang)
    path = config_path(config)
    created_config = False
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CONFIG_TEMPLATE.format(data_dir=data_dir, language=run.lang), "utf-8")
        created_config = True
    run.config = path
    settings = run.settings
    created_key = False
    if settings.secret_key is None:
        created_key = create_key_file(settings.key_file)
    run.secret_box()  # a present but unreadable key is reported now, not at the first mailbox

    async def migrate_db() -> tuple[str | None, str | None]:
        from mailwarden.db.migrate import upgrade  # Alembic costs 0.16 s to import: only where needed

        async with run.database() as db:
            return await upgrade(db)

    before, after = run_async(migrate_db)
    run.say(run.t("init.config_created" if created_config else "init.config_kept", path=path.resolve()))
    if settings.secret_key is not None:
        run.say(run.t("init.key_from_env"))
    else:
        key_msg = "init.key_created" if created_key else "init.key_kept"
        run.say(run.t(key_msg, path=settings.key_file.resolve()))
    run.say(run.t("init.database", url=_safe_url(settings.sqlalchemy_url), revision=after))
    if created_key:
        run.say(run.t("init.backup_key"), style="yellow")
    run.emit(
        {
            "ok": True,
            "config": str(path.resolve()),
            "config_created": created_config,
            "key_file": None if settings.secret_key is not None else str(settings.key_file.resolve()),
            "key_created": created_key,
            "database": _safe_url(settings.sqlalchemy_url),
            "revision_before": before,
            "revision": after,
        }
    )


def migrate(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Bring the database schema up to date. 升级数据库结构。"""
    run = Run(config, as_json, lang)

    async def go() -> tuple[str | None, str | None]:
        from mailwarden.db.migrate import upgrade

        async with run.database() as db:
            return await upgrade(db)

    before, after = run_async(go)
    key = "migrate.current" if before == after else "migrate.upgraded"
    run.say(run.t(key, before=before or "-", after=after))
    run.emit({"ok": True, "revision_before": before, "revision": after})


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
