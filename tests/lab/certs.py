"""A throw-away CA and a server certificate for the lab servers (trustme)."""

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("localhost", "127.0.0.1", "mail.example.test")


@dataclass(frozen=True)
class LabCerts:
    ca: trustme.CA
    ca_file: Path  # PEM of the CA: what clients trust
    cert_file: Path  # server certificate chain, PEM
    key_file: Path  # server private key, PEM, mode 0600

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the lab CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_certs(directory: Path, names: tuple[str, ...] = SERVER_NAMES) -> LabCerts:
    """Write ``ca.pem``, ``cert.pem`` and ``key.pem`` for ``names`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="mailwarden lab CA")
    leaf = ca.issue_cert(*names)
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(leaf.private_key_pem.bytes())
    return LabCerts(ca=ca, ca_file=ca_file, cert_file=cert_file, key_file=key_file)
