from mailwarden.core import i18n
from mailwarden.core.errors import ConfigError, SecretKeyMissing


def test_it_has_the_same_keys_in_every_language() -> None:
    en, zh = set(i18n.catalog(i18n.EN)), set(i18n.catalog(i18n.ZH))
    assert en - zh == set(), "missing in zh-CN"
    assert zh - en == set(), "missing in en"


def test_it_has_the_same_placeholders_in_every_language() -> None:
    import string

    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    zh = i18n.catalog(i18n.ZH)
    different = {k: v for k, v in i18n.catalog(i18n.EN).items() if fields(v) != fields(zh[k])}
    assert different == {}


def test_chinese_text_is_really_chinese() -> None:
    zh = i18n.catalog(i18n.ZH)
    untranslated = [k for k, v in zh.items() if v == i18n.catalog(i18n.EN)[k]]
    assert untranslated == []


def test_it_normalizes_what_people_write() -> None:
    assert i18n.normalize("zh_CN.UTF-8") == "zh-CN"
    assert i18n.normalize("zh") == "zh-CN"
    assert i18n.normalize("en_US") == "en"
    assert i18n.normalize(None) == "en"


def test_a_missing_placeholder_stays_visible_instead_of_raising() -> None:
    assert "{detail}" in i18n.t("error.config", "en")


def test_errors_render_in_both_languages_with_hints() -> None:
    exc = SecretKeyMissing()
    assert "secret key" in str(exc)
    assert "密钥" in exc.render("zh-CN")
    assert exc.hint("zh-CN") is not None and "mailwarden init" in exc.hint("zh-CN")  # type: ignore[operator]
    assert ConfigError(detail="x").as_dict()["kind"] == "config_error"
