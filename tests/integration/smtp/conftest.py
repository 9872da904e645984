"""Submission settings for the lab Postfix."""

from collections.abc import Callable
from typing import Any

import pytest

from mailwarden.smtp import SubmissionSettings

SettingsFactory = Callable[..., SubmissionSettings]


@pytest.fixture
def submission(postfix: Any) -> SettingsFactory:
    """``submission()`` is the STARTTLS port with the lab CA; keyword arguments change any setting."""

    def make(**changes: Any) -> SubmissionSettings:
        values: dict[str, Any] = {
            "host": postfix.host,
            "port": postfix.submission_port,
            "tls": "starttls",
            "ca_file": postfix.ca_file,
            "timeout": 10.0,
            "local_hostname": "client.example.test",
        }
        values.update(changes)
        return SubmissionSettings(**values)

    return make
