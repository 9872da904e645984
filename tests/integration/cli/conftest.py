"""Fixtures: the real ``mailwarden`` command with a private config, against the lab servers."""

from pathlib import Path

import pytest

from cli_runner import CLI
from integrity_lab import build
from lab.dovecot import Dovecot


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path)


@pytest.fixture
def ready_cli(cli: CLI) -> CLI:
    """A CLI whose ``init`` has run, logging everything to a file the tests can grep."""
    result = cli("init")
    assert result.code == 0, result.output
    text = cli.config.read_text().replace('level = "INFO"', 'level = "DEBUG"\nfile = "data/mw.log"')
    cli.config.write_text(text)
    return cli


@pytest.fixture(scope="session")
def integrity_template(tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot) -> CLI:
    """An archive synced once from the lab Dovecot, for the attest and retention tests to clone (never use
    it directly: they tamper with their copies)."""
    return build(tmp_path_factory.mktemp("integrity"), dovecot)
