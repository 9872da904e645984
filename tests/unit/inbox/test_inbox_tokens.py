"""Conversation tokens: they verify under the key that made them, and any alteration is rejected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.core.errors import InputError
from mailwarden.inbox.tokens import make_token, message_id_token, new_message_id, verify_token

KEY = bytes(range(32))
OLD_KEY = b"o" * 32
IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=64)


def test_a_token_names_its_conversation_under_its_key() -> None:
    token = make_token("c42", KEY)
    assert token.startswith("c42-") and len(token) == len("c42-") + 20
    assert verify_token(token, [KEY]) == "c42"


def test_a_token_made_with_another_key_does_not_verify() -> None:
    assert verify_token(make_token("c42", OLD_KEY), [KEY]) is None


def test_an_old_key_in_the_list_keeps_its_tokens_working() -> None:
    assert verify_token(make_token("c42", OLD_KEY), [KEY, OLD_KEY]) == "c42"


def test_a_token_survives_a_gateway_that_upper_cases_it() -> None:
    assert verify_token(make_token("c42", KEY).upper(), [KEY]) == "c42"


def test_a_token_for_another_conversation_cannot_be_made_by_swapping_the_id() -> None:
    mac = make_token("c42", KEY).split("-")[1]
    assert verify_token(f"c43-{mac}", [KEY]) is None


@settings(max_examples=300, deadline=None)
@given(conversation_id=IDS, data=st.data())
def test_any_altered_token_is_rejected(conversation_id: str, data: st.DataObject) -> None:
    token = make_token(conversation_id, KEY)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda char: char.lower() != token[position]))
    altered = token[:position] + replacement + token[position + 1 :]
    assert verify_token(altered, [KEY]) is None


@settings(max_examples=200, deadline=None)
@given(conversation_id=IDS)
def test_every_valid_id_round_trips(conversation_id: str) -> None:
    assert verify_token(make_token(conversation_id, KEY), [KEY]) == conversation_id


@pytest.mark.parametrize(
    "garbage", ["", "c42", "c42-", "-abc", "c42-" + "a" * 19, "c42-" + "1" * 20, "ü-" + "a" * 20]
)
def test_malformed_tokens_are_rejected_without_raising(garbage: str) -> None:
    assert verify_token(garbage, [KEY]) is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        make_token("c42", b"short")
    assert caught.value.key == "inbox.token_key_short"
    with pytest.raises(InputError):
        verify_token("c42-" + "a" * 20, [b"short"])


def test_verifying_without_keys_is_a_configuration_error() -> None:
    with pytest.raises(InputError) as caught:
        verify_token(make_token("c42", KEY), [])
    assert caught.value.key == "inbox.token_keys_missing"


@pytest.mark.parametrize("bad", ["C42", "c-42", "", "c" * 65, "c 42", "中"])
def test_conversation_ids_outside_the_alphabet_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        make_token(bad, KEY)


def test_our_message_ids_carry_the_token_and_are_unique() -> None:
    first = new_message_id("Mail.Example-Exporter.cn", "c42", KEY)
    second = new_message_id("mail.example-exporter.cn", "c42", KEY)
    assert first != second
    assert first.startswith(f"conv-{make_token('c42', KEY)}.") and first.endswith("@mail.example-exporter.cn")
    token = message_id_token(first)
    assert token is not None and verify_token(token, [KEY]) == "c42"
    assert message_id_token(f"<{first.upper()}>") == token


def test_an_internationalised_domain_is_written_in_punycode() -> None:
    assert new_message_id("例子.中国", "c1", KEY).endswith("@xn--fsqu00a.xn--fiqs8s")


@pytest.mark.parametrize("domain", ["", "a..b", "-x.com", "a b.com", "x@y.com"])
def test_a_domain_a_message_id_cannot_hold_is_refused(domain: str) -> None:
    with pytest.raises(InputError):
        new_message_id(domain, "c1", KEY)


def test_other_peoples_message_ids_carry_no_token() -> None:
    assert message_id_token("CAFvac123@mail.gmail.com") is None
    assert message_id_token("conv-nothing@example.com") is None
