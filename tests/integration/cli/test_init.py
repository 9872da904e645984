import stat

from cli_runner import CLI


def test_version_and_help(cli: CLI) -> None:
    version = cli("--version")
    assert version.code == 0
    assert version.stdout.startswith("mailwarden ")
    helped = cli("--help")
    assert helped.code == 0
    for command in ("init", "migrate", "mailbox"):
        assert command in helped.stdout


def test_init_creates_config_key_and_database_and_is_safe_to_repeat(cli: CLI) -> None:
    first = cli("init", "--json")
    assert first.code == 0, first.output
    report = first.json
    assert report["config_created"] and report["key_created"]
    assert report["revision"] is not None
    key = cli.root / "data" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (cli.root / "data" / "mailwarden.db").exists()
    key_text = key.read_text()

    again = cli("init", "--json")
    assert again.code == 0, again.output
    assert not again.json["config_created"] and not again.json["key_created"]
    assert key.read_text() == key_text


def test_migrate_reports_the_revision(cli: CLI) -> None:
    assert cli("init").code == 0
    result = cli("migrate", "--json")
    assert result.code == 0, result.output
    assert result.json["revision"] == result.json["revision_before"]


def test_a_bad_config_file_is_a_usage_error_without_a_traceback(cli: CLI) -> None:
    cli.config.write_text("data_dir = [\n")
    result = cli("mailbox", "list")
    assert result.code == 2
    assert "mailwarden.toml" in result.stderr
    assert "Traceback" not in result.output


def test_messages_come_in_chinese(cli: CLI) -> None:
    result = cli("init", "--lang", "zh-CN")
    assert result.code == 0, result.output
    assert "已创建配置文件" in result.stdout
