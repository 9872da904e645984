"""``mailwarden demo``: bring the world and the product up, keep customers writing, stop cleanly.

Order of start: the embedded servers (IMAP, SMTP, DNS), a month of mail, the configuration and database,
the first sync/index/ingest/assignment, then the API with the workers on ``127.0.0.1:PORT`` and a new
inquiry every ``live_every`` seconds. Ctrl-C (SIGINT) or SIGTERM stops the API, the workers and the
servers, in that order: nothing is left listening. With ``tour`` the scripted tour runs instead of
waiting, and its verdict is the exit status.

Everything is written under ``root`` (``./demo-data``): the configuration, the key, the database, the
archive, the search index, the log, the demo's certificates.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.utils import parseaddr
from pathlib import Path

from mailwarden.core import i18n
from mailwarden.core.errors import InputError
from mailwarden.demo import corpus, snapshot
from mailwarden.demo.stage import CONFIG_NAME, Stage
from mailwarden.demo.world import INFO_ADDRESS, World

__all__ = ["DemoOptions", "run_demo"]

MARKER = ".mailwarden-demo"
#: the embedded server's mail between runs (:mod:`.snapshot`)
IMAGE = "mailserver"


@dataclass(frozen=True)
class DemoOptions:
    root: Path
    port: int = 8025
    host: str = "127.0.0.1"
    tour: bool = False
    reset: bool = False
    live_every: float = 60.0
    lang: str = i18n.EN


class Demo:
    def __init__(self, options: DemoOptions, say: Callable[[str], None]) -> None:
        self.options = options
        self.say = say
        self.live_sent = 0
        self.url = ""

    def t(self, key: str, **params: object) -> str:
        return i18n.t(key, self.options.lang, **params)

    def prepare(self) -> bool:
        """``root`` ready; True when a previous demo continues. A previous demo continues when it stopped
        cleanly (its server's mail image is there); with ``reset`` it is replaced; one that did not stop
        cleanly must be reset (its archive would not match a rebuilt server). A non-empty folder that is
        not a demo's is never touched."""
        root = self.options.root
        if root.exists() and any(root.iterdir()):
            if not (root / MARKER).exists():
                raise InputError("demo.not_a_demo_folder", path=root.resolve())
            if not self.options.reset:
                if snapshot.exists(root / IMAGE) and (root / CONFIG_NAME).is_file():
                    return True
                raise InputError("demo.previous_demo", path=root.resolve())
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        (root / MARKER).write_text("mailwarden demo data: `mailwarden demo --reset` replaces this folder\n")
        return False

    async def deliver_inquiry(self, world: World) -> tuple[str, str]:
        """A new customer inquiry through the embedded SMTP server, as inbound mail: (sender, subject)."""
        from mailwarden.demo.live import send

        self.live_sent += 1
        raw = corpus.live_inquiry(self.live_sent, datetime.now(UTC))
        parsed = message_from_bytes(raw)
        sender = parseaddr(str(parsed["From"]))[1]
        await send(world, sender, corpus.SHARED_ADDRESS, raw)
        return sender, str(parsed["Subject"] or "")

    async def live(self, world: World, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.options.live_every)
            except TimeoutError:
                sender, subject = await self.deliver_inquiry(world)
                self.say(self.t("demo.live_delivered", sender=sender, subject=subject))

    def check_port(self) -> None:
        """A taken API port is said before anything is set up (uvicorn would find out a minute later)."""
        if self.options.port == 0:
            return
        with socket.socket() as probe:
            try:
                probe.bind((self.options.host, self.options.port))
            except OSError:
                raise InputError("demo.port_taken", host=self.options.host, port=self.options.port) from None

    async def run(self) -> bool:
        self.check_port()
        resume = self.prepare()
        world = await World.start(self.options.root)
        try:
            return await self._run(world, resume)
        finally:
            await world.close()

    async def _run(self, world: World, resume: bool) -> bool:
        import uvicorn

        from mailwarden.web.app import create_app
        from mailwarden.web.server import Server
        from mailwarden.workers.parts import WorkerConfig
        from mailwarden.workers.service import Workers

        assert world.dns is not None
        self.say(self.t("demo.servers", imap=world.store.port, smtp=world.host.port, dns=world.dns.port))
        if resume:
            count = await world.restore(self.options.root / IMAGE)
            self.say(self.t("demo.resumed", count=count))
        else:
            count = await world.populate(datetime.now(UTC))
            self.say(self.t("demo.seeded", count=count, address=corpus.SHARED_ADDRESS))
        stage = Stage.write(self.options.root, world, self.options.lang)
        async with stage.database() as db:
            token = await (stage.resume(db, world) if resume else stage.create(db, world))
            first = await stage.first_pass(db)
            key = "demo.caught_up" if resume else "demo.first_pass"
            self.say(
                self.t(key, fetched=first.fetched, indexed=first.indexed, conversations=first.opened)
                + " "
                + self.t("demo.placement", assigned=first.assigned, queued=first.queued)
            )
            channels = await stage.alert_channels(db, self.options.lang)
            snapshot.discard(self.options.root / IMAGE)
            workers = Workers(
                db, stage.settings, stage.box, WorkerConfig(reconcile_every=120.0, fallback=5.0)
            )
            app = create_app(stage.settings, db, background=lambda _app: workers.running())
            app.state.workers = workers
            server = Server(
                uvicorn.Config(
                    app, host=self.options.host, port=self.options.port, log_config=None,
                    access_log=False, lifespan="on",
                )
            )  # fmt: skip
            begun = await server.begin()
            if begun is None:
                raise InputError("demo.port_taken", host=self.options.host, port=self.options.port)
            serving, port = begun
            self.url = f"http://{self.options.host}:{port}"
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            self._banner(stage, token, channels)
            ok = True
            live = asyncio.create_task(self.live(world, stop))
            try:
                if self.options.tour:
                    from mailwarden.demo.tour import Tour

                    ok = await Tour(self, world, stage, db, token).run()
                else:
                    await stop.wait()
            finally:
                stop.set()
                await live
                self.say(self.t("demo.stopping"))
                server.stop()
                await serving
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
        saved = await snapshot.save(world.store, self.options.root / IMAGE)
        self.say(self.t("demo.saved", count=saved))
        return ok

    def _banner(self, stage: Stage, token: str, channels: list[str]) -> None:
        agent = corpus.AGENTS[0]
        if channels:
            alerts = self.t("demo.alerts_to", names=", ".join(channels))
        else:
            alerts = self.t("demo.alerts_console")
        self.say(
            self.t(
                "demo.banner",
                url=self.url,
                token=token,
                agent=agent.display,
                config=stage.config_file.resolve(),
                every=int(self.options.live_every),
                info=INFO_ADDRESS,
                alerts=alerts,
            )
        )


def run_demo(options: DemoOptions, say: Callable[[str], None]) -> bool:
    """Run the demo until stopped (or the tour ends); True when everything worked."""
    return asyncio.run(Demo(options, say).run())
