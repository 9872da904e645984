"""A private Dovecot 2.3 on loopback: IMAP (STARTTLS) + IMAPS, POP3 + POP3S, LMTP, auth for Postfix."""

import contextlib
import dataclasses
import os
import re
import secrets
import shutil
import signal
import smtplib
import subprocess
import threading
import time
from pathlib import Path

from lab import reaper
from lab._proc import LabError, register_live, render, require_packages, tail, unregister_live, wait_for_ports
from lab.certs import LabCerts
from lab.ports import release_ports, reserve_ports

PACKAGES = [
    ("/usr/sbin/dovecot", "dovecot-core"),
    ("/usr/lib/dovecot/imap", "dovecot-imapd"),
    ("/usr/lib/dovecot/pop3", "dovecot-pop3d"),
    ("/usr/lib/dovecot/lmtp", "dovecot-lmtpd"),
    ("/usr/lib/dovecot/modules/auth/libauthdb_lua.so", "dovecot-auth-lua"),
]
_TEMPLATES = Path(__file__).with_name("templates")


@dataclasses.dataclass(frozen=True)
class MailUser:
    address: str
    password: str
    local: str


@dataclasses.dataclass(frozen=True)
class LabMessage:
    """One message as Dovecot itself sees it (``doveadm fetch``)."""

    uid: int
    flags: frozenset[str]  # without \Recent, which belongs to a session
    size: int  # virtual size (CRLF line ends): what IMAP reports as RFC822.SIZE
    guid: str
    message_id: str | None


class DeliveryError(LabError):
    def __init__(self, address: str, code: int, reply: str) -> None:
        super().__init__(f"LMTP refused {address}: {code} {reply}")
        self.code, self.reply = code, reply


@dataclasses.dataclass
class _Account:
    password: str
    quota: str | None = None
    nologin_reason: str | None = None


class Dovecot:
    host: str = "127.0.0.1"
    domain: str = "example.test"

    def __init__(self, root: Path, certs: LabCerts) -> None:
        self.root = root
        self.ca_file = certs.ca_file
        self._certs = certs
        self._ports = reserve_ports(6)
        self.imap_port, self.imaps_port, self.pop3_port, self.pop3s_port = self._ports[:4]
        self.lmtp_port, self.auth_port = self._ports[4:]
        self.config_file = root / "dovecot.conf"
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()
        self._counter = 0

    # --- life cycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        if self._proc is not None:
            raise LabError("Dovecot is already running")
        require_packages(PACKAGES)
        self._write_config()
        started = time.monotonic()
        with (self.root / "dovecot.stderr").open("wb") as err:
            self._proc = subprocess.Popen(
                ["/usr/sbin/dovecot", "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                cwd=self.root,
                start_new_session=True,  # own process group: one killpg stops everything
            )
        reaper.record(self.root, "group", self._proc.pid)
        register_live(self, self.stop)
        try:
            wait_for_ports(self.host, self._ports, proc=self._proc, timeout=timeout, what="Dovecot")
        except LabError as exc:
            self.stop()
            raise LabError(f"{exc}\n{self._diagnostics()}") from None
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """SIGKILL the whole process group (about 10 ms; ``doveadm stop`` takes seconds)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            reaper.kill_record(self.root / reaper.RECORD)
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            deadline = time.monotonic() + 5
            while reaper.group_members(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
        reaper.forget(self.root)
        release_ports(self._ports)
        unregister_live(self)

    def __enter__(self) -> "Dovecot":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        parts = [self.root / "dovecot.stderr", self.root / "dovecot.log"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    def _diagnostics(self) -> str:
        return (
            f"--- {self.root}/dovecot.stderr ---\n{tail(self.root / 'dovecot.stderr')}\n"
            f"--- {self.root}/dovecot.log ---\n{tail(self.root / 'dovecot.log')}"
        )

    def _write_config(self) -> None:
        for name, mode in (("run", 0o755), ("state", 0o750), ("users.d", 0o750), ("mail", 0o770)):
            (self.root / name).mkdir(parents=True, exist_ok=True)
            (self.root / name).chmod(mode)
        # The auth process runs as "dovecot" and reads users.d; mail processes run as nobody.
        shutil.chown(self.root / "users.d", "root", "dovecot")
        shutil.chown(self.root / "mail", "nobody", "nogroup")
        values = dict(
            ROOT=self.root,
            INSTANCE=self.root.parent.name,
            CERT=self._certs.cert_file,
            KEY=self._certs.key_file,
            IMAP_PORT=self.imap_port,
            IMAPS_PORT=self.imaps_port,
            POP3_PORT=self.pop3_port,
            POP3S_PORT=self.pop3s_port,
            LMTP_PORT=self.lmtp_port,
            AUTH_PORT=self.auth_port,
            DOMAIN=self.domain,
        )
        self.config_file.write_text(render((_TEMPLATES / "dovecot.conf").read_text(), **values))
        lua = render((_TEMPLATES / "status.lua").read_text(), USERS_DIR=self.root / "users.d")
        (self.root / "status.lua").write_text(lua)

    # --- accounts ---------------------------------------------------------------------------------

    def add_user(
        self,
        local: str | None = None,
        password: str | None = None,
        *,
        quota: str | None = None,
        nologin_reason: str | None = None,
    ) -> MailUser:
        """A new account; usable at once (Dovecot reads a new per-user passwd-file on first lookup)."""
        with self._lock:
            self._counter += 1
            local = (local or f"u{self._counter}-{secrets.token_hex(2)}").lower()
            if not re.fullmatch(r"[a-z0-9][a-z0-9._+-]*", local):
                raise ValueError(f"unsupported local part {local!r} (letters, digits, . _ + -)")
            address = f"{local}@{self.domain}"
            if address in self._accounts:
                raise LabError(f"{address} already exists")
            account = _Account(password or secrets.token_urlsafe(12), quota, nologin_reason)
            self._write_account(address, account)
            self._accounts[address] = account
        return MailUser(address=address, password=account.password, local=local)

    def expired_user(self) -> MailUser:
        """LOGIN with the right password answers ``NO [EXPIRED] ...`` (Lua passdb); mail is delivered."""
        return self.add_user(f"expired-{secrets.token_hex(3)}")

    def tempfail_user(self) -> MailUser:
        """Every LOGIN answers ``NO [UNAVAILABLE] ...`` (the Lua passdb reports an internal failure)."""
        return self.add_user(f"tempfail-{secrets.token_hex(3)}")

    def disable_user(self, address: str, reason: str = "Account_disabled_by_admin") -> None:
        """``nologin reason=...``: LOGIN with the right password answers ``NO [CONTACTADMIN] reason``."""
        self._change(address, nologin_reason=reason)

    def set_quota(self, address: str, rule: str) -> None:
        """A userdb quota rule such as ``*:storage=20K``; applies to sessions started afterwards."""
        self._change(address, quota=rule)

    def _change(self, address: str, **changes: str) -> None:
        address = address.lower()
        with self._lock:
            if address not in self._accounts:
                raise LabError(f"{address} was not created by this lab")
            account = dataclasses.replace(self._accounts[address], **changes)
            self._write_account(address, account)
            self._accounts[address] = account
        self._await_auth_view(address, account)

    def _write_account(self, address: str, account: _Account) -> None:
        fields = []
        if account.quota:
            fields.append(f"userdb_quota_rule={account.quota}")
        if account.nologin_reason:
            fields.append(f"nologin reason={account.nologin_reason}")
        for value in (account.password, account.quota or "", account.nologin_reason or ""):
            if any(c in value for c in "\n\r\t"):
                raise ValueError(f"control characters are not allowed: {value!r}")
        if ":" in account.password or " " in (account.quota or "") + (account.nologin_reason or ""):
            raise ValueError("passwd-file: no ':' in passwords, no spaces in quota rules or reasons")
        path = self.root / "users.d" / address
        tmp = path.with_name(f".{address}.tmp")
        tmp.write_text(f"{address}:{{PLAIN}}{account.password}::::::{' '.join(fields)}\n")
        tmp.chmod(0o640)
        shutil.chown(tmp, "root", "dovecot")
        # Dovecot notices changes by (mtime, size): give every version its own whole-second mtime.
        stamp = int(time.time())
        if path.exists():
            stamp = max(stamp, int(path.stat().st_mtime) + 1)
        os.utime(tmp, (stamp, stamp))
        tmp.replace(path)

    def _await_auth_view(self, address: str, account: _Account, timeout: float = 3.0) -> None:
        """Dovecot stats a passwd-file at most once per second: wait until it has read our change."""
        deadline = time.monotonic() + timeout
        while True:
            seen: dict[str, str] = {}
            if account.quota:  # userdb view: "field<TAB>value" lines
                out = self._doveadm("user", address)
                pairs = (line.partition("\t") for line in out.splitlines())
                seen.update((key, value) for key, tab, value in pairs if tab)
            if account.nologin_reason:  # passdb view: "  key : value" lines
                out = self._doveadm("auth", "lookup", address)
                seen.update(
                    (key.strip(), value.strip())
                    for key, _, value in (line.partition(":") for line in out.splitlines()[1:])
                )
            wanted = {"quota_rule": account.quota, "reason": account.nologin_reason}
            if all(seen.get(key) == value for key, value in wanted.items() if value):
                return
            if time.monotonic() > deadline:
                raise LabError(f"Dovecot did not pick up the change to {address}: {seen}")
            time.sleep(0.05)

    # --- mail -------------------------------------------------------------------------------------

    def deliver(self, address: str, message: bytes, *, sender: str = "lab-sender@example.test") -> None:
        """Deliver ``message`` to one recipient over LMTP; DeliveryError carries the server's reply."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as lmtp:
            try:
                lmtp.sendmail(sender, [address], message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, refusal = exc.recipients[address]
                raise DeliveryError(address, code, refusal.decode(errors="replace")) from None
            except smtplib.SMTPResponseException as exc:
                error = exc.smtp_error
                text = error.decode(errors="replace") if isinstance(error, bytes) else error
                raise DeliveryError(address, exc.smtp_code, text) from None

    def create_folder(self, address: str, name: str, *, subscribe: bool = True) -> None:
        self._doveadm("mailbox", "create", *(["-s"] if subscribe else []), "-u", address, name)

    def folder_view(self, address: str, folder: str = "INBOX") -> list[LabMessage]:
        out = self._doveadm(
            "-f", "pager", "fetch", "-u", address, "uid flags size.virtual guid hdr.message-id",
            "mailbox", folder, "all",
        )  # fmt: skip
        messages = []
        for record in out.split("\f"):
            fields: dict[str, str] = {}
            for line in record.strip("\n").splitlines():
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
            if "uid" in fields:
                messages.append(
                    LabMessage(
                        uid=int(fields["uid"]),
                        flags=frozenset(fields.get("flags", "").split()) - {"\\Recent"},
                        size=int(fields["size.virtual"]),
                        guid=fields.get("guid", ""),
                        message_id=fields.get("hdr.message-id") or None,
                    )
                )
        return sorted(messages, key=lambda m: m.uid)

    def kick(self, address: str) -> None:
        """Disconnect every IMAP/POP3 session of ``address`` (no error if there is none)."""
        self._doveadm("kick", address, ok_codes=(0, 68))

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm`` against this instance (``mailbox delete -u USER NAME``, ``expunge``, ...)."""
        return self._doveadm(*args)

    def _doveadm(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        argv = ["/usr/bin/doveadm", "-c", str(self.config_file), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode not in ok_codes:
            raise LabError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout
