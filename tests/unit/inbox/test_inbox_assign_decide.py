"""Who gets a conversation, from plain values: sticky owner > rules > the team's chooser, with the why."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from mailwarden.core.settings import InboxSettings
from mailwarden.inbox.assign_decide import (
    Member,
    RuleSpec,
    Subject,
    decide,
    keyword_matches,
    rule_matches,
)
from mailwarden.inbox.availability import AgentSchedule
from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, WeeklyHours
from mailwarden.inbox.teams import TeamPolicy, Teams

ALWAYS = BusinessCalendar(CalendarSpec("UTC", WeeklyHours.parse({"mon-sun": "00:00-24:00"})))
OFFICE = BusinessCalendar(CalendarSpec("UTC", WeeklyHours.every("09:00-17:00")))
# Tuesday 2026-03-03 10:00 UTC: in office hours
AT = datetime(2026, 3, 3, 10, tzinfo=UTC)
NIGHT = datetime(2026, 3, 3, 22, tzinfo=UTC)


def team(assign: str = "round_robin", agents: tuple[str, ...] = ()) -> TeamPolicy:
    settings = InboxSettings.model_validate({"teams": {"sales": {"assign": assign, "agents": list(agents)}}})
    return Teams(settings).by_name["sales"]


def members(*specs: tuple[str, dict[str, object]] | str) -> dict[str, Member]:
    out = {}
    for spec in specs:
        name, extra = (spec, {}) if isinstance(spec, str) else spec
        calendar = extra.pop("calendar", ALWAYS)
        out[name] = Member(name, AgentSchedule(f"uid-{name}", calendar, **extra))  # type: ignore[arg-type]
    return out


def subject(**values: object) -> Subject:
    return Subject(**{"mailbox": "sales", **values})  # type: ignore[arg-type]


def test_the_sticky_owner_wins_over_rules_and_rotation() -> None:
    rules = [RuleSpec("all", agents=("bo",))]
    found = decide(team(), members("anna", "bo", "cy"), rules, subject(company_owner="cy"), AT, {}, None)
    assert found.agent == "cy" and found.why["step"] == "sticky" and found.why["owner_of"] == "company"
    assert found.pointer is None  # nobody's turn was used


def test_the_company_owner_comes_before_the_contact_owner_and_an_away_one_falls_through() -> None:
    roster = members(("anna", {"away": True}), "bo", "cy")
    found = decide(team(), roster, [], subject(company_owner="anna", contact_owner="bo"), AT, {}, None)
    assert found.agent == "bo" and found.why["owner_of"] == "contact"
    assert found.why["skipped"] == [
        {"step": "sticky", "owner_of": "company", "agent": "anna", "reason": "away"}
    ]


def test_an_unavailable_sticky_owner_falls_through_to_the_rules_saying_why() -> None:
    roster = members(("anna", {"out_of_office": ((AT.replace(hour=0), AT.replace(hour=23)),)}), "bo")
    found = decide(
        team(), roster, [RuleSpec("r", agents=("bo",))], subject(contact_owner="anna"), AT, {}, None
    )
    assert (found.agent, found.why["step"], found.why["rule"]) == ("bo", "rule", "r")
    assert found.why["skipped"][0]["reason"] == "out_of_office"


def test_an_owner_outside_the_team_is_never_chosen() -> None:
    found = decide(
        team(agents=("bo",)), members("anna", "bo"), [], subject(company_owner="anna"), AT, {}, None
    )
    assert found.agent == "bo" and found.why["step"] == "round_robin"
    assert found.why["skipped"][0]["reason"] == "not_in_team"


def test_rules_are_tried_in_order_and_match_on_every_condition_given() -> None:
    rules = [
        RuleSpec("de-sales", mailboxes=frozenset({"sales"}), countries=frozenset({"DE"}), agents=("anna",)),
        RuleSpec("german", languages=frozenset({"de"}), agents=("bo",)),
        RuleSpec("catch-all", agents=("cy",)),
    ]
    roster = members("anna", "bo", "cy")

    def who(**values: object) -> str | None:
        return decide(team(), roster, rules, subject(**values), AT, {}, None).agent

    assert who(company_country="DE") == "anna"
    assert who(contact_country="DE") == "anna"  # the contact's country when the company's is another
    assert who(mailbox="info", company_country="DE", language="de") == "bo"
    assert who(mailbox="info", company_country="DE") == "cy"
    assert who(language="fr") == "cy"


def test_a_rule_whose_agents_are_unavailable_falls_through_to_the_next_and_then_the_chooser() -> None:
    rules = [RuleSpec("first", agents=("anna",)), RuleSpec("second", agents=("bo",))]
    roster = members(("anna", {"away": True}), ("bo", {"calendar": OFFICE}), "cy")
    found = decide(team(), roster, rules, subject(), NIGHT, {}, None)
    assert found.agent == "cy" and found.why["step"] == "round_robin"
    reasons = [(s["step"], s.get("rule"), s["agent"], s["reason"]) for s in found.why["skipped"]]
    assert ("rule", "first", "anna", "away") in reasons and ("rule", "second", "bo", "off_hours") in reasons


def test_a_rule_with_several_agents_rotates_among_them() -> None:
    rule = RuleSpec("pair", agents=("anna", "bo"))
    roster = members("anna", "bo", "cy")
    first = decide(team(), roster, [rule], subject(), AT, {}, None)
    assert first.pointer is not None and first.pointer[:2] == ("rule", "pair")
    moved = RuleSpec("pair", agents=("anna", "bo"), last_agent=first.pointer[2])
    second = decide(team(), roster, [moved], subject(), AT, {}, None)
    assert {first.agent, second.agent} == {"anna", "bo"}


def test_a_rule_naming_an_agent_outside_the_team_does_not_give_them_the_mail() -> None:
    found = decide(
        team(agents=("bo",)),
        members("anna", "bo"),
        [RuleSpec("r", agents=("anna",))],
        subject(),
        AT,
        {},
        None,
    )
    assert found.agent == "bo"


@pytest.mark.parametrize(
    ("keyword", "text", "hit"),
    [
        ("price", "Please send your PRICE list", True),
        ("price", "a priceless vase", False),
        ("price list", "your price  list", False),  # words as written
        ("price list", "the Price List, please", True),
        ("报价", "您好，请报价单发给我们", True),  # CJK: a substring
        ("見積", "お見積もりをお願いします", True),
        ("ＲＦＱ", "RFQ attached", True),  # full-width letters fold
        ("straße", "STRASSE 5", True),  # Unicode case folding
        ("", "anything", False),
    ],
)
def test_keywords_match_case_insensitively_as_words_and_cjk_as_substrings(
    keyword: str, text: str, hit: bool
) -> None:
    assert keyword_matches(keyword, text) is hit


def test_keywords_are_looked_for_in_the_subject_and_the_body() -> None:
    rule = RuleSpec("rfq", keywords=("quotation", "询价"))
    assert rule_matches(rule, subject(subject="Quotation for 500 pcs"))
    assert rule_matches(rule, subject(subject="hello", text="我们想询价"))
    assert not rule_matches(rule, subject(subject="hello", text="nothing here"))


def test_round_robin_is_fair_over_many_conversations() -> None:
    roster = members("anna", "bo", "cy", "di")
    last: str | None = None
    got: Counter[str] = Counter()
    for _ in range(400):
        found = decide(team(), roster, [], subject(), AT, {}, last)
        assert found.agent is not None and found.pointer is not None
        got[found.agent] += 1
        last = found.pointer[2]
    assert got == {"anna": 100, "bo": 100, "cy": 100, "di": 100}


def test_least_loaded_takes_the_agent_with_fewest_open_conversations() -> None:
    roster = members("anna", "bo", "cy")
    counts = {"uid-anna": 5, "uid-bo": 1, "uid-cy": 3}
    found = decide(team("least_loaded"), roster, [], subject(), AT, counts, None)
    assert found.agent == "bo" and found.why["step"] == "least_loaded"


def test_capacity_skips_a_full_agent() -> None:
    roster = members(("anna", {"capacity": 2}), "bo")
    found = decide(team(), roster, [], subject(company_owner="anna"), AT, {"uid-anna": 2}, None)
    assert found.agent == "bo" and found.why["skipped"][0]["reason"] == "at_capacity"


def test_nobody_available_queues_with_the_instant_someone_is_back() -> None:
    roster = members(("anna", {"calendar": OFFICE}), ("bo", {"away": True}))
    found = decide(team(), roster, [], subject(), NIGHT, {}, None)
    assert found.agent is None and found.why["step"] == "queued"
    assert found.back_at == datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert found.why["back_at"] == "2026-03-04T09:00:00+00:00"


def test_a_manual_team_queues_what_no_owner_or_rule_decides() -> None:
    roster = members("anna")
    assert decide(team("manual"), roster, [], subject(), AT, {}, None).why == {
        "step": "queued",
        "mode": "manual",
        "skipped": [],
    }
    assert decide(team("manual"), roster, [], subject(contact_owner="anna"), AT, {}, None).agent == "anna"
