"""Fixtures: the real ``mailwarden`` command with a private config, against the lab servers."""

from pathlib import Path

import pytest

from cli_runner import CLI


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
