import os
import stat
import sys
from pathlib import Path

import pytest

from mailwarden.core.errors import (
    InputError,
    SecretKeyInvalid,
    SecretKeyMismatch,
    SecretKeyMissing,
    SecretRefError,
)
from mailwarden.core.secrets import SecretBox, create_key_file, generate_key, load_box, parse_ref, resolve_ref


def test_it_round_trips_a_chinese_app_password() -> None:
    box = SecretBox.from_text(generate_key(), "test")
    token = box.encrypt("授权码-abcd EFGH", context="mailbox:1")
    assert "授权码" not in token and "abcd" not in token
    assert box.decrypt(token, context="mailbox:1").reveal() == "授权码-abcd EFGH"


def test_the_same_secret_encrypts_differently_each_time() -> None:
    box = SecretBox.from_text(generate_key(), "test")
    assert box.encrypt("pw", context="c") != box.encrypt("pw", context="c")


def test_a_ciphertext_moved_to_another_context_does_not_open() -> None:
    box = SecretBox.from_text(generate_key(), "test")
    with pytest.raises(SecretKeyMismatch):
        box.decrypt(box.encrypt("pw", context="mailbox:1"), context="mailbox:2")


def test_a_wrong_key_names_both_key_ids() -> None:
    old, new = SecretBox.from_text(generate_key(), "a"), SecretBox.from_text(generate_key(), "b")
    with pytest.raises(SecretKeyMismatch) as caught:
        new.decrypt(old.encrypt("pw", context="c"), context="c")
    assert old.primary_id in str(caught.value) and new.primary_id in str(caught.value)
    assert caught.value.hint("en")


def test_old_keys_still_decrypt_after_rotation() -> None:
    old_key, new_key = generate_key(), generate_key()
    token = SecretBox.from_text(old_key, "old").encrypt("pw", context="c")
    rotated = SecretBox.from_text(f"{new_key}\n{old_key}\n", "rotated")
    assert rotated.decrypt(token, context="c").reveal() == "pw"
    assert rotated.needs_rotation(token)
    assert not rotated.needs_rotation(rotated.encrypt("pw", context="c"))


def test_the_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "d" / "secret.key"
    assert create_key_file(path) is True
    first = path.read_text()
    assert create_key_file(path) is False
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(("text", "detail"), [("not base64!!", "base64"), ("AAAA", "3 bytes"), ("", "empty")])
def test_a_malformed_key_is_a_clear_error(text: str, detail: str) -> None:
    with pytest.raises(SecretKeyInvalid, match=detail):
        SecretBox.from_text(text, "MAILWARDEN_SECRET_KEY")


def test_a_missing_key_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyMissing) as caught:
        load_box(None, tmp_path / "absent.key")
    assert "mailwarden init" in (caught.value.hint("en") or "")


def test_an_explicit_key_wins_over_the_file(tmp_path: Path) -> None:
    key = generate_key()
    box = load_box(key, tmp_path / "absent.key")
    assert box.primary_id == SecretBox.from_text(key, "x").primary_id


def test_secret_values_do_not_show_in_repr() -> None:
    box = SecretBox.from_text(generate_key(), "t")
    value = box.decrypt(box.encrypt("hunter22", context="c"), context="c")
    assert "hunter22" not in repr(value) and "hunter22" not in str(value) and "hunter22" not in f"{value}"


def test_references_are_checked_when_added() -> None:
    assert str(parse_ref("env:SALES_PW")) == "env:SALES_PW"
    assert str(parse_ref("op://Shared/sales/password")) == "op://Shared/sales/password"
    for bad in ("SALES_PW", "vault:x", "env:", "op://only/two"):
        with pytest.raises(InputError):
            parse_ref(bad)


def test_env_and_file_references_resolve_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MW_TEST_PW", "from-env")
    assert resolve_ref("env:MW_TEST_PW").reveal() == "from-env"
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    assert resolve_ref(f"file:{secret}").reveal() == "from-file"


def test_unresolvable_references_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MW_TEST_ABSENT", raising=False)
    with pytest.raises(SecretRefError, match="not set"):
        resolve_ref("env:MW_TEST_ABSENT")
    with pytest.raises(SecretRefError, match="No such file"):
        resolve_ref(f"file:{tmp_path / 'absent'}")


def _fake_cli(tmp_path: Path, name: str, script: str) -> None:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{script}")
    path.chmod(0o755)


def test_password_manager_clis_are_called_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bw get password ITEM` and `op read REF` print the secret on stdout (their documented interface)."""
    log = tmp_path / "argv"
    record = f"import sys; open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n'); "
    _fake_cli(tmp_path, "bw", record + "print('bw-secret')")
    _fake_cli(tmp_path, "op", record + "sys.stdout.write('op-secret')")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert resolve_ref("bw:sales-mailbox").reveal() == "bw-secret"
    assert resolve_ref("op://Shared/sales/password").reveal() == "op-secret"
    assert log.read_text().splitlines() == [
        "get password sales-mailbox",
        "read --no-newline op://Shared/sales/password",
    ]


def test_a_failing_password_manager_reports_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_cli(tmp_path, "bw", "import sys; sys.stderr.write('You are not logged in.\\n'); sys.exit(1)")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(SecretRefError, match="not logged in"):
        resolve_ref("bw:sales")


def test_a_missing_password_manager_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SecretRefError, match="`op` command is not installed"):
        resolve_ref("op://a/b/c")


def test_derived_keys_follow_rotation_and_differ_by_purpose() -> None:
    old, new = generate_key(), generate_key()
    before = SecretBox.from_text(old, "test")
    after = SecretBox.from_text(f"{new}\n{old}\n", "test")
    [signing] = before.derive("inbox conversation token")
    assert len(signing) == 32
    assert after.derive("inbox conversation token")[1] == signing  # the old key's still verifies
    assert after.derive("inbox conversation token")[0] != signing  # the new key's signs
    assert before.derive("something else") != [signing]
    assert old.encode() not in signing
