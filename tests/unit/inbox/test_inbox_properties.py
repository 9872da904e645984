"""Properties: the inbox's decisions run on every archived message, so no input may make them raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden.inbox.bounces import read_bounce, receipt_message_id
from mailwarden.inbox.country import country_from_signature
from mailwarden.inbox.domains import is_free_mail, registrable_domain
from mailwarden.inbox.language import detect_language
from mailwarden.inbox.noise import KINDS, classify
from mailwarden.inbox.parties import message_parties, normalise_address
from mailwarden.inbox.quoting import customer_text
from mailwarden.inbox.subjects import normalise_subject
from mailwarden.mime import parse_message

import inbox_samples as samples

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLES = {
    name: value for name, value in vars(samples).items() if name.isupper() and isinstance(value, bytes)
}


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))])
    for _ in range(draw(st.integers(1, 6))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif action == "insert":
            raw[at:at] = draw(
                st.sampled_from([b"<", b">", b"@", b"\r\n", b"\r\n\r\n", b":", b"\xff", b"--B1"])
            )
        elif action == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        else:
            del raw[at:]
    return bytes(raw)


@FAST
@given(raw=mutated())
def test_no_message_makes_the_decisions_raise(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert classify(parsed).kind in KINDS
    report = read_bounce(parsed, raw)
    assert report is None or all("@" in recipient.address for recipient in report.recipients)
    receipt_message_id(parsed, raw)
    message_parties(parsed)
    message_parties(parsed, outgoing=True)


@FAST
@given(text=st.text(max_size=400))
def test_no_text_makes_the_text_rules_raise(text: str) -> None:
    customer_text(text)
    country_from_signature(text)
    normalise_subject(text)
    found = detect_language(text)
    assert found is None or 0 <= found.confidence <= 1


@FAST
@given(text=st.text(max_size=80) | st.from_regex(r"[^@\s]{1,10}@[^@\s]{1,30}", fullmatch=True))
def test_no_address_or_domain_makes_normalising_raise(text: str) -> None:
    normal = normalise_address(text)
    # the domain is ASCII; the local part may not be (RFC 6531 allows UTF-8 local parts)
    assert normal is None or normal.key.rpartition("@")[2].isascii()
    domain = text.rpartition("@")[2]
    registrable = registrable_domain(domain)
    assert registrable is None or registrable.isascii()
    is_free_mail(domain)
