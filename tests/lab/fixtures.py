"""pytest fixtures of the mail lab: real Dovecot, Postfix and PostgreSQL on loopback.

Servers are session-scoped and start the first time a test asks for them; all of them live in one
per-run directory (``lab_dir``) that is removed at the end. A server that cannot start fails the test
(never skips it) with the reason and the tail of its log. Clean-up does not depend on the finalizers
alone: an atexit hook stops what is still running, and a watchdog process (``lab.reaper``) kills the
daemons and removes the directory if this process dies without running either.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from lab._proc import LabError, RunDir
from lab.certs import LabCerts, make_certs
from lab.dovecot import Dovecot, MailUser
from lab.faultproxy import FaultProxy, FaultProxyFactory
from lab.postfix import Postfix
from lab.postgres import Postgres

_startup_seconds: dict[str, float] = {}


class _Server(Protocol):
    startup_seconds: float | None

    def start(self) -> None: ...
    def stop(self) -> None: ...


def _start(server: _Server, name: str) -> None:
    try:
        server.start()
    except (LabError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        reason = f"{type(exc).__name__}: {exc}"
    else:
        if server.startup_seconds is not None:
            _startup_seconds[name] = server.startup_seconds
        return
    pytest.fail(f"the lab's {name} could not start: {reason}", pytrace=False)  # outside except: no chain


@pytest.fixture(scope="session")
def lab_dir() -> Iterator[Path]:
    """This run's temporary directory (removed at the end, daemons and all)."""
    run = RunDir.create()
    try:
        yield run.root
    finally:
        run.close()


@pytest.fixture(scope="session")
def lab_certs(lab_dir: Path) -> LabCerts:
    """The lab CA and the servers' certificate (``ca.pem``, ``cert.pem``, ``key.pem`` in lab_dir)."""
    return make_certs(lab_dir)


@pytest.fixture(scope="session")
def dovecot(lab_dir: Path, lab_certs: LabCerts) -> Iterator[Dovecot]:
    server = Dovecot(lab_dir / "dovecot", lab_certs)
    _start(server, "Dovecot")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postfix(lab_dir: Path, lab_certs: LabCerts, dovecot: Dovecot) -> Iterator[Postfix]:
    server = Postfix(lab_dir / "postfix", lab_certs, dovecot)
    _start(server, "Postfix")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres(lab_dir: Path) -> Iterator[Postgres]:
    server = Postgres(lab_dir / "postgres")
    _start(server, "PostgreSQL")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    """A fresh account on the lab Dovecot (unique address, random password)."""
    return dovecot.add_user()


@pytest.fixture
def pg_url(postgres: Postgres) -> Iterator[str]:
    """A fresh database on the lab cluster as a SQLAlchemy URL (``postgresql+asyncpg://...``);
    dropped afterwards, connections or not."""
    try:
        name = postgres.create_database()
    except LabError as exc:
        reason = str(exc)
    else:
        yield f"postgresql+asyncpg://{postgres.user}@{postgres.host}:{postgres.port}/{name}"
        postgres.drop_database(name)
        return
    pytest.fail(f"the lab's PostgreSQL could not create a database: {reason}", pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _startup_seconds:
        took = ", ".join(f"{name} {secs:.2f} s" for name, secs in _startup_seconds.items())
        terminalreporter.write_line(f"mail lab start-up: {took}")


@pytest.fixture
def fault_proxy() -> Iterator[FaultProxyFactory]:
    """Factory: ``fault_proxy(port)`` is a started :class:`FaultProxy` to 127.0.0.1:port (stopped after)."""
    proxies: list[FaultProxy] = []

    def start(port: int) -> FaultProxy:
        proxies.append(FaultProxy("127.0.0.1", port).start())
        return proxies[-1]

    yield start
    for proxy in proxies:
        proxy.stop()
