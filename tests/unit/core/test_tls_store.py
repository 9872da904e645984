"""The system CA store through its hashed directory: the same trust, without loading the whole bundle."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import trustme

from mailwarden.core import tls


def _handshake(context: ssl.SSLContext, server: ssl.SSLContext) -> None:
    """A TLS handshake over a socket pair: raises ssl.SSLCertVerificationError if the chain is not trusted."""
    left, right = socket.socketpair()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with server.wrap_socket(right, server_side=True):
                pass
        except (ssl.SSLError, OSError) as exc:  # the client hanging up on an untrusted chain
            errors.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with context.wrap_socket(left, server_hostname="mail.example.test"):
            pass
    finally:
        thread.join(timeout=10)
        right.close()


@pytest.fixture
def server_and_ca(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    ca = trustme.CA()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("mail.example.test").configure_cert(server)
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return server, pem


def _store(tmp_path: Path, *certs: Path) -> Path:
    """A CA directory as Debian's update-ca-certificates leaves it: certificates plus hash links."""
    store = tmp_path / "certs"
    store.mkdir()
    for cert in certs:
        shutil.copy(cert, store / cert.name)
    subprocess.run(["openssl", "rehash", str(store)], check=True, capture_output=True)
    return store


def test_a_ca_in_the_hashed_system_directory_is_trusted(
    tmp_path: Path, server_and_ca: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca_pem = server_and_ca
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(_store(tmp_path, ca_pem)))
    assert tls._hashed_system_dir() == str(tmp_path / "certs")
    _handshake(tls.client_context(), server)  # trusted: no error


def test_a_ca_missing_from_the_directory_is_not(
    tmp_path: Path, server_and_ca: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = server_and_ca
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(_store(tmp_path, other)))
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(tls.client_context(), server)


def test_a_bundle_named_on_purpose_is_loaded_whole(
    tmp_path: Path, server_and_ca: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca_pem = server_and_ca
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_DIR", str(_store(tmp_path, other)))  # does not hold our CA
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))  # does
    assert tls._hashed_system_dir() is None
    _handshake(tls.client_context(), server)


def test_without_hash_links_the_bundle_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "ca.pem").write_text("not hashed")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(plain))
    assert tls._hashed_system_dir() is None
