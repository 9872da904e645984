"""The mailwarden side of the demo, set up as an operator would with the CLI: a configuration file, the
key and the SQLite database under ``demo-data``, the two mailboxes, the agents and their team, a token for
the API, the first sync, search index, ingest and assignment, and the console alert channel.

Everything goes through the same service functions the commands call; the configuration is written as a
file so that every ``mailwarden`` command the demo suggests works on the demo's data as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from mailwarden.access import principals
from mailwarden.access import service as access
from mailwarden.archive.blobstore import blob_store
from mailwarden.core.secrets import SecretBox, create_key_file, load_box
from mailwarden.core.settings import Settings, load_settings
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.demo import corpus
from mailwarden.demo.world import INFO_ADDRESS, World
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.assign_agents import set_hours
from mailwarden.inbox.ingest import ingest, team_for
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.models_assign import AssignQueue
from mailwarden.inbox.teams import Teams
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.mailboxes import service as mailboxes
from mailwarden.mailboxes.models import Mailbox
from mailwarden.notify import service as notify
from mailwarden.search.indexer import catch_up
from mailwarden.search.store import IndexStore
from mailwarden.sync.engine import SyncOptions
from mailwarden.sync.service import run_sync
from mailwarden.workers.service import placed_hook

__all__ = ["CONFIG_NAME", "DUTY", "DUTY_HOURS", "FirstPass", "Stage", "config_text"]

CONFIG_NAME = "mailwarden.toml"
TEAM = "sales"
#: who holds the duty phone (值班): the others keep office hours in their own time zones, so who is on
#: shift depends on when the demo runs; the agent on duty makes sure someone always is, weekends and
#: holidays too, and a live inquiry is assigned at whatever hour the demo is tried
DUTY = corpus.AGENTS[1].name
DUTY_HOURS: dict[str, Any] = {"hours": {"mon-sun": "00:00-24:00"}, "country": ""}


def config_text(world: World, language: str) -> str:
    """The demo's configuration: every outside party ``diagnose`` would ask is the demo's own."""
    assert world.dns is not None and world.registry is not None
    agents = json.dumps([agent.name for agent in corpus.AGENTS])
    return f"""\
# Written by `mailwarden demo` (rewritten at each start: the embedded servers get new ports).
# Every `mailwarden` command works on the demo's data with
#   export MAILWARDEN_CONFIG=$PWD/demo-data/{CONFIG_NAME}
data_dir = "data"
language = "{language}"

[log]
level = "INFO"
file = "data/mailwarden.log"

[diagnose]
# the demo's DNS server and registry answer for {corpus.DEMO_DOMAIN}; nothing is asked outside this machine
dns_servers = ["127.0.0.1:{world.dns.port}"]
dns_authoritative_port = {world.dns.port}
rdap_base_url = "{world.registry.base_url}"  # the demo's own registry (RDAP) knows {corpus.DEMO_DOMAIN}
connect_timeout = 2.0
deadline = 8.0

[inbox]
# the demo plays a team that has worked with mailwarden for the month of mail it seeded: all of it is work.
# A real mailbox keeps the default (3): mail from before that is filed as history, not handed out
backlog_days = 31

[inbox.teams.{TEAM}]
mailboxes = ["sales"]
agents = {agents}
assign = "round_robin"
# business hours in Ningbo, with China's public holidays and make-up working days: an inquiry that arrives
# on Friday evening is due on Monday morning
hours = {{ timezone = "Asia/Shanghai", country = "CN", hours = {{ "mon-fri" = "09:00-12:00, 13:30-18:00" }} }}
sla = {{ first_response = "4h", next_response = "8h" }}
"""


@dataclass(frozen=True)
class FirstPass:
    """What a start found: messages archived and indexed, conversations opened, and how the conversations
    stand (all of them, not only the new: a continued demo counts those of earlier runs too)."""

    fetched: int
    indexed: int
    opened: int
    assigned: int
    queued: int


@dataclass
class Stage:
    root: Path
    settings: Settings
    box: SecretBox

    @classmethod
    def write(cls, root: Path, world: World, language: str) -> Stage:
        path = root / CONFIG_NAME
        path.write_text(config_text(world, language), "utf-8")
        settings = load_settings(path, environ={})  # the operator's MAILWARDEN_* variables are not the demo's
        if settings.secret_key is None:
            create_key_file(settings.key_file)
        return cls(root, settings, load_box(None, settings.key_file))

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    def database(self) -> Database:
        return Database(self.settings.sqlalchemy_url)

    async def create(self, db: Database, world: World) -> str:
        """Schema, mailboxes, agents, rights; returns the API token of the first agent (shown once)."""
        await upgrade(db)
        for name, address, password in (
            ("sales", corpus.SHARED_ADDRESS, world.passwords[corpus.SHARED_ADDRESS]),
            ("info", INFO_ADDRESS, "Summer2025!"),  # the password before IT changed it
        ):
            spec = mailboxes.MailboxSpec(
                name=name, address=address, username=address,
                imap_host="127.0.0.1", imap_port=world.store.port, imap_tls="implicit",
                smtp_host="127.0.0.1", smtp_port=world.host.port, smtp_tls="implicit",
                ca_file=world.certs.ca_file, credential_kind="password",
            )  # fmt: skip
            await mailboxes.add_mailbox(db, spec, box=self.box, secret=password)
        for agent in corpus.AGENTS:
            await access.add_agent(
                db, agent.name, agent.email, timezone=agent.timezone, ims=[f"feishu:{agent.im}"]
            )
            await principals.grant(
                db, agent.name, "sales", "manage" if agent is corpus.AGENTS[0] else "answer"
            )
        await set_hours(db, Teams(self.settings.inbox), DUTY, DUTY_HOURS, actor="demo")
        _, token = await principals.create_token(db, "demo", agent=corpus.AGENTS[0].name)
        return token

    async def resume(self, db: Database, world: World) -> str:
        """A continued demo: the schema brought up to date, the mailboxes pointed at the servers' new
        ports, the server's accounts given the passwords mailwarden holds; returns a new API token (the old
        one was shown once, and only on the screen of the previous run)."""
        await upgrade(db)
        async with db.session() as session, session.begin():
            await session.execute(
                update(Mailbox)
                .where(Mailbox.name.in_(("sales", "info")))
                .values(
                    imap_port=world.store.port, smtp_port=world.host.port, ca_file=str(world.certs.ca_file)
                )
            )
        sales = await mailboxes.get_mailbox(db, "sales")
        await world.set_password(corpus.SHARED_ADDRESS, mailboxes.credential(sales, self.box).reveal())
        tokens = await principals.list_tokens(db)
        for row, _agent in tokens:
            if row.name.startswith("demo") and row.revoked_at is None:
                await principals.revoke_token(db, row.name)
        _, token = await principals.create_token(db, f"demo-{len(tokens) + 1}", agent=corpus.AGENTS[0].name)
        return token

    async def first_pass(self, db: Database, progress: Any = None) -> FirstPass:
        """Sync ``sales``, index it, turn it into conversations and assign them."""
        blobs = blob_store(self.settings.archive_dir)
        sales = await mailboxes.get_mailbox(db, "sales")
        record, _ = await run_sync(
            db, blobs, sales, mailboxes.credential(sales, self.box), options=SyncOptions(), progress=progress
        )
        indexed = await catch_up(db, blobs, IndexStore(self.settings.search_dir))
        inbox = self.settings.inbox
        team = await team_for(db, self.box.derive(KEY_PURPOSE), inbox)
        on_placed = placed_hook(Assigner(Teams(inbox)))
        report = await ingest(db, blobs, team, batch=inbox.batch, on_placed=on_placed)
        async with db.session() as session:
            assigned = await session.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.assignee_id.is_not(None))
            )
            queued = await session.scalar(select(func.count()).select_from(AssignQueue))
        return FirstPass(
            fetched=record.fetched, indexed=indexed.indexed, opened=report.outcomes["opened"],
            assigned=assigned or 0, queued=queued or 0,
        )  # fmt: skip

    async def alert_channels(self, db: Database, language: str) -> list[str]:
        """Where alerts go from now on (set up after the first pass: a month of history is not news):
        the console, unless someone added a real channel to the demo (``mailwarden notify channel add``
        with the demo's configuration), which then takes over. Returns the other channels' names."""
        channels = await notify.list_channels(db)
        console = next((c for c in channels if c.name == "console"), None)
        others = [c.name for c in channels if c.name != "console" and c.enabled]
        if others:
            if console is not None and console.enabled:
                await notify.set_enabled(db, "console", False)
        elif console is None:
            spec = notify.ChannelSpec(
                name="console", kind="console", url="console://stdout", language=language
            )
            await notify.add_channel(db, self.box, spec)
        elif not console.enabled:
            await notify.set_enabled(db, "console", True)
        return others
