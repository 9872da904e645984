"""SMTPError and SMTPAuthError: what they carry and how they read in both languages."""

import tomllib
from importlib import resources

import pytest

from mailwarden.core import i18n
from mailwarden.core.errors import ProtocolError, RemoteError, SystemFailure
from mailwarden.smtp import STAGES, SMTPAuthError, SMTPError, Stage, parse_reply


def _catalogue(lang: str) -> dict[str, str]:
    text = resources.files("mailwarden.core").joinpath("locales", lang, "smtp.toml").read_text("utf-8")
    flat: dict[str, str] = {}

    def walk(table: dict[str, object], prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = str(value)

    walk(tomllib.loads(text), "")
    return flat


def test_it_carries_the_reply_fields() -> None:
    error = SMTPAuthError.from_reply(
        535,
        "5.7.8 Error: authentication failed: bad password",
        stage="auth",
        host="mx.example.test",
        port=587,
    )

    assert (error.code, error.enhanced, error.text) == (
        535,
        "5.7.8",
        "Error: authentication failed: bad password",
    )
    assert (error.stage, error.host, error.port) == ("auth", "mx.example.test", 587)
    assert error.permanent is True


def test_it_sits_under_protocol_error_in_the_tree() -> None:
    error = SMTPAuthError.from_reply(535, "5.7.8 no", stage="auth", host="h", port=587)

    assert isinstance(error, SMTPError)
    assert isinstance(error, ProtocolError)
    assert isinstance(error, RemoteError)
    assert isinstance(error, SystemFailure)


def test_a_reply_without_enhanced_status_has_none() -> None:
    error = SMTPError.from_reply(554, "Transaction failed", stage="data", host="h", port=25)

    assert error.enhanced is None
    assert error.text == "Transaction failed"


def test_a_transient_reply_makes_a_transient_error() -> None:
    error = SMTPError.from_reply(451, "4.3.0 Try again later", stage="mail", host="h", port=587)

    assert error.permanent is False


def test_an_explicit_permanence_wins() -> None:
    error = SMTPError(parse_reply(451, "4.3.0 queue full"), stage="data", host="h", port=587, permanent=True)

    assert error.permanent is True


def test_it_renders_in_english_with_the_server_text_quoted() -> None:
    error = SMTPAuthError.from_reply(
        535, "5.7.8 Error: authentication failed", stage="auth", host="h", port=587
    )

    assert str(error) == "h:587 refused the login: 535 5.7.8 Error: authentication failed"
    assert "password" in (error.hint(i18n.EN) or "")


def test_it_renders_in_chinese_without_translating_the_server_text() -> None:
    error = SMTPAuthError.from_reply(
        535, "5.7.8 Error: authentication failed", stage="auth", host="h", port=587
    )

    assert error.render(i18n.ZH) == "h:587 拒绝了登录：535 5.7.8 Error: authentication failed"
    assert "密码" in (error.hint(i18n.ZH) or "")


def test_a_temporary_auth_failure_does_not_blame_the_password() -> None:
    error = SMTPAuthError.from_reply(
        454, "4.7.0 Temporary authentication failure", stage="auth", host="h", port=1
    )

    assert error.permanent is False
    assert "password" not in (error.hint(i18n.EN) or "")
    assert "密码" not in (error.hint(i18n.ZH) or "")


def test_as_dict_names_the_kind_without_splitting_the_acronym() -> None:
    error = SMTPAuthError.from_reply(535, "5.7.8 no", stage="auth", host="h", port=587)

    assert error.as_dict(i18n.ZH)["kind"] == "smtp_auth_error"
    assert SMTPError.from_reply(550, "no", stage="rcpt", host="h", port=1).kind == "smtp_error"


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_a_message_in_both_languages(stage: Stage) -> None:
    error = SMTPError.from_reply(554, "5.0.0 no", stage=stage, host="h", port=25)

    for lang in i18n.LANGUAGES:
        text = error.render(lang)
        assert text.startswith("h:25")
        assert "554 5.0.0 no" in text
        assert "{" not in text


def test_both_catalogues_hold_the_same_smtp_keys() -> None:
    assert _catalogue(i18n.EN).keys() == _catalogue(i18n.ZH).keys()


def test_the_chinese_catalogue_is_chinese() -> None:
    for key, text in _catalogue(i18n.ZH).items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), key
