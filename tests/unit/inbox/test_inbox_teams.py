"""Teams from settings: which team answers a mailbox, and mistakes named at load time."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import ConfigError
from mailwarden.core.settings import InboxSettings
from mailwarden.inbox.teams import DEFAULT_TEAM, Teams


def test_no_team_configured_means_one_team_answering_every_mailbox() -> None:
    teams = Teams(InboxSettings())
    team = teams.for_mailbox("Sales")
    assert team is not None and team.name == DEFAULT_TEAM
    assert team.calendar.spec.timezone == "Asia/Shanghai"
    assert team.has_agent("anyone")


def test_mailboxes_go_to_their_team_and_the_rest_to_the_catch_all() -> None:
    settings = InboxSettings.model_validate(
        {
            "teams": {
                "export": {"mailboxes": ["Sales"], "agents": ["alice"], "assign": "least_loaded"},
                "service": {"sla": {"first_response": "8h"}},
            }
        }
    )
    teams = Teams(settings)
    export = teams.for_mailbox("sales")
    assert export is not None and export.name == "export" and export.assign == "least_loaded"
    assert export.has_agent("alice") and not export.has_agent("bob")
    other = teams.for_mailbox("info")
    assert other is not None and other.name == "service"


def test_without_a_catch_all_an_unnamed_mailbox_has_no_team() -> None:
    teams = Teams(InboxSettings.model_validate({"teams": {"export": {"mailboxes": ["sales"]}}}))
    assert teams.for_mailbox("info") is None


def test_a_mailbox_in_two_teams_is_a_config_error() -> None:
    settings = InboxSettings.model_validate(
        {"teams": {"a": {"mailboxes": ["sales"]}, "b": {"mailboxes": ["SALES"]}}}
    )
    with pytest.raises(ConfigError) as caught:
        Teams(settings)
    assert caught.value.key == "inbox.team_mailbox_twice"


def test_bad_hours_name_the_team() -> None:
    settings = InboxSettings.model_validate({"teams": {"a": {"hours": {"timezone": "Mars/Base"}}}})
    with pytest.raises(ConfigError) as caught:
        Teams(settings)
    assert caught.value.key == "inbox.team_bad"
    assert caught.value.params["team"] == "a"


def test_unknown_mailbox_is_named() -> None:
    teams = Teams(InboxSettings.model_validate({"teams": {"a": {"mailboxes": ["sales", "ghost"]}}}))
    with pytest.raises(ConfigError) as caught:
        teams.check_mailboxes(["Sales"])
    assert caught.value.params["name"] == "ghost"
