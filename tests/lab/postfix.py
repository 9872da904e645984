"""A private Postfix on loopback: submission (STARTTLS + AUTH), smtps, and a plain relay port.

Mail for the lab domain goes to the lab Dovecot over LMTP; SASL is Dovecot's auth inet listener.
Everything else bounces with an ``error:`` transport: nothing leaves the machine.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from lab import reaper
from lab._proc import (
    LabError,
    port_in_use,
    register_live,
    render,
    require_packages,
    run_with_tty,
    tail,
    unregister_live,
    wait_for_ports,
)
from lab.certs import LabCerts
from lab.dovecot import Dovecot
from lab.ports import release_ports, reserve_ports

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
MASTER = "/usr/lib/postfix/sbin/master"
PACKAGES = [(POSTFIX, "postfix"), (POSTCONF, "postfix"), (MASTER, "postfix")]
_TEMPLATES = Path(__file__).with_name("templates")
_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


class Postfix:
    host: str = "127.0.0.1"

    def __init__(self, root: Path, certs: LabCerts, dovecot: Dovecot) -> None:
        self.root = root
        self.config_dir = root / "conf"
        self.ca_file = certs.ca_file
        self.domain = dovecot.domain
        self._certs = certs
        self._dovecot = dovecot
        self._ports = reserve_ports(4)
        self.submission_port, self.smtps_port, self.relay_port, self.plain_auth_port = self._ports
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        if self._proc is not None:
            raise LabError("Postfix is already running")
        require_packages(PACKAGES)
        started = time.monotonic()
        self._write_config()
        env = {**_ENV, "MAIL_CONFIG": str(self.config_dir)}
        # "postfix check" creates the queue directories (post-install create-missing) and reports
        # configuration errors; it only prints to a terminal, hence the pty.
        code, output = run_with_tty([POSTFIX, "-c", str(self.config_dir), "check"], timeout=timeout, env=env)
        if code != 0:
            raise LabError(f"postfix check failed ({code}):\n{output}\n{self._diagnostics()}")
        # What "postfix start-fg" runs when it is not pid 1, minus its second round of checks.
        with (self.root / "master.out").open("wb") as out:
            self._proc = subprocess.Popen(
                [MASTER, "-c", str(self.config_dir), "-s"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=env,
                cwd=self.root,
                start_new_session=True,  # its daemons share its process group
            )
        reaper.record(self.root, "group", self._proc.pid)
        register_live(self, self.stop)
        try:
            wait_for_ports(self.host, self._ports, proc=self._proc, timeout=timeout, what="Postfix")
        except LabError as exc:
            self.stop()
            raise LabError(f"{exc}\n{self._diagnostics()}") from None
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """SIGTERM the master ("postfix abort": it passes the signal on), then SIGKILL leftovers."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            deadline = time.monotonic() + 5
            while reaper.group_members(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            reaper.kill_record(self.root / reaper.RECORD)  # SIGKILL whatever is left in the group
            proc.wait(timeout=5)
        reaper.forget(self.root)
        release_ports(self._ports)
        unregister_live(self)

    def __enter__(self) -> "Postfix":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        parts = [self.root / "master.out", self.root / "postfix.log"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    def _diagnostics(self) -> str:
        """What we can find out: master(8) reports early fatal errors (a port in use, a bad master.cf)
        to syslog only, and this machine has no /dev/log."""
        lines = []
        names = ("submission", "smtps", "relay", "plain-auth")
        busy = [f"{n} {p}" for n, p in zip(names, self._ports, strict=True) if port_in_use(self.host, p)]
        if busy:
            lines.append(f"port(s) already in use: {', '.join(busy)}")
        for flag in ("-n", "-M"):
            done = subprocess.run(
                [POSTCONF, "-c", str(self.config_dir), flag], capture_output=True, text=True, check=False
            )
            if done.returncode or done.stderr:
                lines.append(f"postconf {flag}: {done.stderr.strip()}")
        for name in ("master.out", "postfix.log"):
            lines.append(f"--- {self.root / name} ---\n{tail(self.root / name)}")
        return "\n".join(lines)

    def _write_config(self) -> None:
        for path in (self.root, self.config_dir, self.root / "queue"):  # post-install adds the rest
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o755)  # postfix insists on a root-owned tree, not group/other-writable
        values = dict(
            ROOT=self.root,
            DOMAIN=self.domain,
            KEY=self._certs.key_file,
            CERT=self._certs.cert_file,
            LMTP_PORT=self._dovecot.lmtp_port,
            AUTH_PORT=self._dovecot.auth_port,
            RELAY_PORT=self.relay_port,
            SUBMISSION_PORT=self.submission_port,
            SMTPS_PORT=self.smtps_port,
            PLAIN_AUTH_PORT=self.plain_auth_port,
        )
        (self.config_dir / "header_checks").write_text(
            "/^Subject:.*\\[lab-reject-data\\]/ REJECT 5.7.1 lab content filter: message refused\n"
            "/^Subject:.*\\[lab-defer-data\\]/ REJECT 4.7.1 lab content filter: try again later\n"
        )
        cooled = time.time() - 60  # Postfix re-reads a "hot" file (mtime < 2 s ago) until it cools
        for name in ("main.cf", "master.cf"):
            path = self.config_dir / name
            path.write_text(render((_TEMPLATES / name).read_text(), **values))
            os.utime(path, (cooled, cooled))
