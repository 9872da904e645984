from pathlib import Path

import pytest

from mailwarden.core.errors import ConfigError
from mailwarden.core.settings import load_settings


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.source is None
    assert settings.sqlalchemy_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'mailwarden.db'}"
    assert settings.key_file == Path("data/secret.key")


def test_relative_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "etc" / "mailwarden.toml"
    cfg.parent.mkdir()
    cfg.write_text('data_dir = "../var"\nlanguage = "zh"\n[log]\nlevel = "DEBUG"\n')
    settings = load_settings(cfg, environ={})
    assert settings.data_dir == tmp_path / "etc" / ".." / "var"
    assert settings.language == "zh-CN"
    assert settings.log.level == "DEBUG"


def test_environment_overrides_the_file_including_sections(tmp_path: Path) -> None:
    cfg = tmp_path / "mailwarden.toml"
    cfg.write_text('language = "en"\n')
    env = {"MAILWARDEN_LANGUAGE": "zh-CN", "MAILWARDEN_LOG__LEVEL": "WARNING"}
    settings = load_settings(cfg, environ=env)
    assert settings.language == "zh-CN"
    assert settings.log.level == "WARNING"


def test_the_config_file_can_come_from_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "x.toml"
    cfg.write_text('data_dir = "d"\n')
    assert load_settings(environ={"MAILWARDEN_CONFIG": str(cfg)}).data_dir == tmp_path / "d"


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    url = tmp_path / "url"
    url.write_text("postgresql://u:p@db/x\n")
    settings = load_settings(
        environ={"MAILWARDEN_DATABASE_URL_FILE": str(url), "MAILWARDEN_SECRET_KEY_FILE": "/k"}
    )
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql://u:p@db/x"
    assert settings.key_file == Path("/k")
    assert "u:p" not in repr(settings)


def test_giving_a_secret_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not both"):
        load_settings(environ={"MAILWARDEN_SECRET_KEY": "a", "MAILWARDEN_SECRET_KEY_FILE": "/k"})


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("data_dir = [", "mailwarden.toml"),
        ("colour = 'blue'\n", "colour: Extra inputs are not permitted"),
        ("[log]\nlevel = 'LOUD'\n", "log.level"),
    ],
)
def test_bad_files_say_where_and_what(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "mailwarden.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_settings(cfg, environ={})


def test_the_notify_section_comes_from_the_file_and_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "mailwarden.toml"
    cfg.write_text("[notify]\npoll = 0.5\nhold = 30\ntimeout = 5\n")
    env = {"MAILWARDEN_NOTIFY__ALLOW_PRIVATE_TARGETS": "true", "MAILWARDEN_NOTIFY__TIMEOUT": "7"}
    settings = load_settings(cfg, environ=env)
    assert (settings.notify.poll, settings.notify.hold, settings.notify.timeout) == (0.5, 30.0, 7.0)
    assert settings.notify.allow_private_targets is True


def test_private_targets_are_off_unless_the_administrator_turns_them_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).notify.allow_private_targets is False


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[notify]\nhold = 5\ntimeout = 10\n", "hold must be longer than timeout"),
        ("[notify]\npoll = 0\n", "notify.poll"),
        ("[notify]\nallow_private = true\n", "notify.allow_private: Extra inputs"),
    ],
)
def test_a_bad_notify_section_says_what_is_wrong(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "mailwarden.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_settings(cfg, environ={})
