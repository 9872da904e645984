"""A private PostgreSQL cluster on loopback (trust auth, fsync off), run as the ``postgres`` user."""

import contextlib
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from lab import reaper
from lab._proc import LabError, register_live, require_packages, tail, unregister_live, wait_for_ports
from lab.ports import release_ports, reserve_ports

PACKAGES = [("/usr/lib/postgresql/*/bin/initdb", "postgresql-15")]
OS_USER = "postgres"  # initdb refuses to run as root
# Start-up options: throw-away data, so durability is traded for speed.
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c jit=off"
)


class Postgres:
    host: str = "127.0.0.1"
    user: str = "test"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.log_file = root / "server.log"
        self._ports = reserve_ports(1)
        self.port = self._ports[0]
        self.startup_seconds: float | None = None
        self._bin: Path | None = None
        self._pid: int | None = None
        self._names = itertools.count(1)

    @property
    def bin_dir(self) -> Path:
        if self._bin is None:
            initdb = require_packages(PACKAGES)[PACKAGES[0][0]]  # the newest installed major version
            self._bin = Path(initdb).parent
        return self._bin

    def start(self, timeout: float = 60.0) -> None:
        if self._pid is not None:
            raise LabError("PostgreSQL is already running")
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, OS_USER, OS_USER)
        self.root.chmod(0o700)
        self._as_postgres(
            "initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync", "--no-instructions", timeout=timeout,
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} {SERVER_OPTIONS}"
        register_live(self, self.stop)
        try:
            self._as_postgres(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(int(timeout)),
                "-o", options, "start", timeout=timeout + 5,
            )  # fmt: skip
            self._pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            reaper.record(self.root, "postmaster", self._pid)
            wait_for_ports(self.host, self._ports, proc=None, timeout=timeout, what="PostgreSQL")
        except LabError:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """``pg_ctl stop -m fast``; SIGQUIT/SIGKILL if that fails. Idempotent."""
        if self._pid is not None or (self.data_dir / "postmaster.pid").exists():
            try:
                self._as_postgres("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "10", "stop")
            except LabError:
                if self._pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self._pid, signal.SIGQUIT)
            reaper.kill_record(self.root / reaper.RECORD)
            self._pid = None
        reaper.forget(self.root)
        release_ports(self._ports)
        unregister_live(self)

    def __enter__(self) -> "Postgres":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "lab") -> str:
        """A fresh, empty database with a unique name; returns the name."""
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", prefix):
            raise ValueError(f"database name prefix must be a short lower-case identifier: {prefix!r}")
        name = f"{prefix}_{next(self._names)}_{secrets.token_hex(3)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql (unaligned, tuples only); LabError with the server's message on failure."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        done = subprocess.run(
            [str(self.bin_dir / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(database),
             "-c", sql],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise LabError(f"psql failed ({done.returncode}) on {sql!r}: {done.stderr.strip()}")
        return done.stdout

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def _as_postgres(self, tool: str, *args: str, timeout: float = 60.0) -> None:
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        try:
            done = subprocess.run(
                [str(self.bin_dir / tool), *args],
                user=OS_USER, group=OS_USER, extra_groups=[], cwd=self.root, env=env,
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{tool} timed out after {timeout:.0f} s\n{self._diagnostics()}") from exc
        if done.returncode != 0:
            raise LabError(
                f"{tool} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n"
                f"{self._diagnostics()}"
            )

    def _diagnostics(self) -> str:
        return f"--- {self.log_file} ---\n{tail(self.log_file)}"
