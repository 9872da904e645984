"""Every reason the login limiter gives for not trying a login is told in words, with advice, in both
languages (it was shown as a code, with an empty time in the advice)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mailwarden.diagnose.ratelimit as ratelimit
from mailwarden.diagnose.findings import Finding

SILENT = {"no_password", "once_per_run"}  # no finding: nothing was skipped that the user should know
REASONS = sorted(set(re.findall(r'reason="(\w+)"', Path(ratelimit.__file__).read_text())) - SILENT)


def test_the_limiter_still_gives_the_reasons_this_test_knows() -> None:
    assert {"already_refused", "rate_limited", "refused_over_imap", "refused_in_this_run"} <= set(REASONS)


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_skipped_login_says_why_and_what_to_do(reason: str, lang: str) -> None:
    params = {
        "protocol": "SMTP",
        "when": "2026-11-27T19:00+00:00",
        "reason_key": f"diagnose.skip.{reason}.reason",
        "advice_key": f"diagnose.skip.{reason}.advice",
    }
    finding = Finding("auth.login_skipped", 0.9, [], params, [])
    title, fix = finding.title(lang), finding.fix(lang)
    for text in (title, fix):
        assert "diagnose.skip" not in text and "{" not in text and reason not in text
    assert len(fix) > 40 if lang == "en" else len(fix) > 25
