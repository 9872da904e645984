"""Login safety across runs: one attempt per protocol per run, and a budget per account.

Providers lock accounts after a few failures (Aliyun: the IP after 3, Microsoft's smart lockout after 10,
fail2ban after 5), and counters are shared between IMAP and SMTP. So, for one account:

* a password refused in the window is never sent again; the remembered refusal is the evidence;
* after ``login_attempts - 1`` refusals in the window, no login is tried at all until it passes;
* at most ``login_attempts`` attempts per protocol in the window, refused or not;
* within a run, SMTP and POP3 wait for the IMAP attempt, and a password refused by one protocol is not
  sent over another.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from datetime import datetime, timedelta

from sqlalchemy import func, select

from mailwarden.core import clock
from mailwarden.core.errors import ConfigError, StorageError
from mailwarden.core.secrets import SecretValue
from mailwarden.db.engine import Database
from mailwarden.diagnose.evidence import LoginOutcome
from mailwarden.diagnose.evidence import Protocol as MailProtocol
from mailwarden.diagnose.models import LoginAttempt

__all__ = ["Ledger", "RunPolicy"]


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def _fingerprint(password: str) -> str:
    salt = os.urandom(16)
    return f"scrypt${salt.hex()}${_hash(password, salt).hex()}"


def _same(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        return hmac.compare_digest(_hash(password, bytes.fromhex(salt)), bytes.fromhex(digest))
    except ValueError:
        return False


class Ledger:
    """The table's questions and answers, with the window and the budget from the settings."""

    def __init__(self, db: Database, *, attempts: int, window_minutes: int) -> None:
        self.db = db
        self.attempts = attempts
        self.window = timedelta(minutes=window_minutes)

    async def verdict(self, account: str, protocol: str, secret: SecretValue) -> LoginOutcome | None:
        since = clock.now() - self.window
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(LoginAttempt)
                    .where(LoginAttempt.account == account.lower(), LoginAttempt.attempted_at >= since)
                    .order_by(LoginAttempt.attempted_at.desc())
                )
            ).all()
        refused = [r for r in rows if r.outcome == "refused"]
        password = secret.reveal()
        for row in refused:
            if row.password_hash is None:
                continue
            if await asyncio.to_thread(_same, password, row.password_hash):
                return LoginOutcome(
                    "skipped", row.answer, reason="already_refused", remembered_at=row.attempted_at
                )
        if len(refused) >= max(1, self.attempts - 1):
            return LoginOutcome(
                "skipped",
                refused[0].answer,
                reason="too_many_refusals",
                remembered_at=self._until(refused[-1].attempted_at),
            )
        mine = [r for r in rows if r.protocol == protocol]
        if len(mine) >= self.attempts:
            return LoginOutcome(
                "skipped", reason="rate_limited", remembered_at=self._until(mine[-1].attempted_at)
            )
        return None

    def _until(self, oldest: datetime) -> datetime:
        return oldest + self.window

    async def record(
        self, account: str, protocol: str, host: str, outcome: LoginOutcome, secret: SecretValue
    ) -> None:
        row = LoginAttempt(
            account=account.lower(),
            protocol=protocol,
            host=host.lower(),
            outcome=outcome.state,
            answer=outcome.answer[:2000],
        )
        if outcome.state == "refused":
            row.password_hash = await asyncio.to_thread(_fingerprint, secret.reveal())
        async with self.db.session() as session:
            session.add(row)
            await session.commit()

    async def ready(self) -> None:
        """Raise ``ConfigError`` unless the ledger's table exists (``mailwarden init`` / ``migrate``)."""
        try:
            await self.count("")
        except StorageError as exc:
            raise ConfigError("diagnose.password_needs_db") from exc

    async def count(self, account: str) -> int:
        async with self.db.session() as session:
            total = await session.scalar(
                select(func.count()).select_from(LoginAttempt).where(LoginAttempt.account == account.lower())
            )
        return int(total or 0)


class RunPolicy:
    """The :class:`~mailwarden.diagnose.probes.login.LoginPolicy` of one run."""

    def __init__(self, ledger: Ledger | None, account: str, secret: SecretValue | None) -> None:
        self._ledger = ledger
        self._account = account
        self._secret = secret
        #: set when the IMAP attempt is over -- or when the run knows there will be none (:meth:`no_imap`)
        self._imap_done = asyncio.Event()
        self._imap_outcome: LoginOutcome | None = None
        self._turn = asyncio.Lock()
        self._used: set[str] = set()
        self._holding: set[str] = set()
        #: a refusal seen in this run (by any protocol): the password is not sent again
        self._refused: LoginOutcome | None = None
        self.attempts = 0

    def no_imap(self) -> None:
        """The run has planned all its sessions and none is IMAP: SMTP and POP3 need not wait for one."""
        self._imap_done.set()

    async def may_login(self, protocol: MailProtocol, host: str) -> LoginOutcome | None:
        if self._secret is None:
            return LoginOutcome("skipped", reason="no_password")
        if protocol in self._used:  # one attempt per protocol per run, whatever happens
            return LoginOutcome("skipped", reason="once_per_run")
        if protocol != "imap":
            await self._imap_done.wait()
            if self._imap_outcome is not None and self._imap_outcome.state == "refused":
                return LoginOutcome("skipped", self._imap_outcome.answer, reason="refused_over_imap")
        # SMTP and POP3 ask at the same moment once IMAP is done: one attempt at a time, held until it is
        # settled, so the second sees the first one's refusal
        await self._turn.acquire()
        verdict = None
        if self._ledger is not None:
            try:
                verdict = await self._ledger.verdict(self._account, protocol, self._secret)
            except BaseException:
                self._turn.release()
                raise
        if verdict is None and self._refused is not None:
            verdict = LoginOutcome("skipped", self._refused.answer, reason="refused_in_this_run")
        if verdict is not None:
            self._turn.release()
            return verdict
        self._used.add(protocol)
        self._holding.add(protocol)
        self.attempts += 1
        return None

    async def settled(self, protocol: MailProtocol, host: str, outcome: LoginOutcome | None) -> None:
        if protocol == "imap":
            self._imap_outcome = outcome
            self._imap_done.set()
        if outcome is not None and outcome.state == "refused":
            self._refused = outcome
        try:
            await self._record(protocol, host, outcome)
        finally:
            if protocol in self._holding:
                self._holding.discard(protocol)
                self._turn.release()

    async def _record(self, protocol: MailProtocol, host: str, outcome: LoginOutcome | None) -> None:
        if outcome is None or outcome.state == "skipped" or self._secret is None:
            return
        if self._ledger is not None:
            await self._ledger.record(self._account, protocol, host, outcome, self._secret)
