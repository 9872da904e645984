"""Fixtures of the diagnosis lab: one DNS server with every test zone, and a ledger database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade

from diag_run import zones
from lab.dns import DnsLab


@pytest.fixture(scope="module")
def lab_dns(dovecot: Any) -> Iterator[DnsLab]:
    resolver, authoritative = zones(dovecot.imaps_port)
    with DnsLab(resolver, authoritative) as dns:
        yield dns


@pytest.fixture
async def ledger_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'mw.db'}")
    await upgrade(db)
    yield db
    await db.dispose()
