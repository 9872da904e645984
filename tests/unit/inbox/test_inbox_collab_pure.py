"""The pure parts of collaboration: @mention resolution, tag spelling, canned-reply templates."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import InputError
from mailwarden.inbox.canned import VARIABLES, first_name, parse_template, render_template
from mailwarden.inbox.mentions import find_mentions
from mailwarden.inbox.tags import MAX_TAG, normalise_tag

AGENTS = ["Li Lei", "li", "王芳", "王", "Anna Weber", "Ann"]


@pytest.mark.parametrize(
    ("text", "agents", "unknown"),
    [
        ("@li lei please call", ("Li Lei",), ()),  # the longest name wins, case-insensitively
        ("@li, please", ("li",), ()),
        ("@王芳请看一下报价", ("王芳",), ()),  # Chinese: no space after the name
        ("@王 和 @王芳", ("王", "王芳"), ()),
        ("@anna weber and @ANN", ("Anna Weber", "Ann"), ()),
        ("@annabel", (), ("annabel",)),  # a longer word is not the shorter name
        ("write to anna@weber-gmbh.de", (), ()),  # an address is no mention
        ("＠Ｌｉ Ｌｅｉ", ("Li Lei",), ()),  # full-width forms
        ("@nobody, @nobody again", (), ("nobody",)),
        ("@ alone @", (), ()),
        ("(@Li Lei)", ("Li Lei",), ()),
        ("@李雷。", (), ("李雷",)),
    ],
)
def test_mentions_resolve_to_agents(text: str, agents: tuple[str, ...], unknown: tuple[str, ...]) -> None:
    found = find_mentions(text, AGENTS)
    assert (found.agents, found.unknown) == (agents, unknown)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  VIP ", "vip"),
        ("ＶＩＰ", "vip"),
        ("Key   Account", "key account"),
        ("询盘", "询盘"),
        ("A-1", "a-1"),
    ],
)
def test_tags_have_one_spelling(given: str, stored: str) -> None:
    assert normalise_tag(given) == stored


@pytest.mark.parametrize(
    "bad", ["", "   ", "+vip", "-vip", "a,b", "bell\x07", "zero\u200bwidth", "x" * (MAX_TAG + 1)]
)
def test_bad_tags_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        normalise_tag(bad)


VALUES = {name: "" for name in VARIABLES} | {
    "customer_name": "王芳",
    "customer_first_name": "王芳",
    "agent_name": "Li Lei <li@x>",
    "company": "",
}


def test_a_template_fills_in_variables_fallbacks_and_literal_braces() -> None:
    text = "您好 {customer_first_name}，{{报价}} — {agent_name} / {company|贵公司}"
    assert render_template(text, VALUES) == "您好 王芳，{报价} — Li Lei <li@x> / 贵公司"
    assert render_template("<p>{agent_name}</p>", VALUES, as_html=True) == "<p>Li Lei &lt;li@x&gt;</p>"


@pytest.mark.parametrize(
    "hostile",
    [
        "{0}",
        "{agent_name.__class__}",
        "{agent_name.__init__.__globals__}",
        "{agent_name[0]}",
        "{agent_name!r}",
        "{agent_name:>1000000000}",
        "{__import__}",
        "{customer_name|{agent_name}}",
        "{",
        "}",
        "{ {agent_name} }",
    ],
)
def test_hostile_templates_are_refused_not_evaluated(hostile: str) -> None:
    with pytest.raises(InputError):
        parse_template(hostile)


def test_an_unknown_variable_is_named() -> None:
    with pytest.raises(InputError) as refused:
        render_template("Dear {customer_nmae}", VALUES)
    assert refused.value.params["name"] == "customer_nmae"
    assert "customer_nmae" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Anna Weber", "Anna"),
        ("Weber, Anna", "Anna"),
        ("王芳", "王芳"),
        ("", ""),
        ('"Claire  Martin"', "Claire"),
    ],
)
def test_first_names(name: str, first: str) -> None:
    assert first_name(name) == first
