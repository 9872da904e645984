"""User-facing text in zh-CN and en.

Messages live in ``locales/<lang>/<area>.toml`` (one file per area, so that areas do not collide) as
dotted keys with ``str.format`` placeholders. Both catalogues
must hold the same keys (a unit test checks), so a missing translation is a test failure, not a surprise
for a user. Text from remote servers is never translated: it is quoted as it came.
"""

from __future__ import annotations

import os
import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

EN = "en"
ZH = "zh-CN"
LANGUAGES = (EN, ZH)

__all__ = ["EN", "LANGUAGES", "ZH", "catalog", "has", "normalize", "t"]


def normalize(value: str | None) -> str:
    """Map what users and locales write (``zh``, ``zh_CN.UTF-8``, ``en-US``, ``中文``) to a catalogue name."""
    if not value:
        return EN
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh") or v in {"cn", "中文", "chinese"}:
        return ZH
    return EN


def default_language() -> str:
    """The language when nothing is configured: MAILWARDEN_LANG, then the POSIX locale, then English."""
    for name in ("MAILWARDEN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value and value not in {"C", "POSIX", "C.UTF-8"}:
            return normalize(value)
    return EN


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = resources.files("mailwarden.core").joinpath("locales", lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        table = _flatten(tomllib.loads(entry.read_text("utf-8")))
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"message keys defined twice in {lang}: {sorted(clash)}")
        merged.update(table)
    return merged


def has(key: str) -> bool:
    return key in catalog(EN)


class _Lenient(string.Formatter):
    """Leaves unknown placeholders visible instead of raising: a wrong message must not hide an error."""

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return "{" + key + "}"
        return super().get_value(key, args, kwargs)


_formatter = _Lenient()


def t(key: str, lang: str = EN, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` (falling back to English, then to the key itself)."""
    text = catalog(normalize(lang)).get(key) or catalog(EN).get(key)
    if text is None:
        return key if not params else f"{key} {params}"
    return _formatter.format(text, **params)
