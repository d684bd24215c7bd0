from __future__ import annotations

import datetime
import hashlib
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from embedded_broker.crypto import tls_certificate
from embedded_broker.crypto.tls_certificate import (
    TlsMaterial,
    ensure_certificate,
    server_ssl_context,
)


def _cert(material: TlsMaterial) -> x509.Certificate:
    return x509.load_pem_x509_certificate(material.cert_pem)


def _san(material: TlsMaterial) -> tuple[set[str], set[str]]:
    san = _cert(material).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName))
    addresses = {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    return names, addresses


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_creates_a_self_signed_p256_certificate(tmp_path: Path) -> None:
    material = ensure_certificate(tmp_path, ["broker.example.org", "10.1.2.3", "[fe80::1]"])
    assert material.cert_path == tmp_path / "tls" / "cert.pem"
    assert material.key_path == tmp_path / "tls" / "key.pem"
    assert material.cert_path.read_bytes() == material.cert_pem
    assert material.key_path.read_bytes() == material.key_pem
    assert _mode(material.key_path) == 0o600
    assert _mode(material.cert_path) == 0o644

    cert = _cert(material)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "Ensign Workbench broker"
    assert cert.issuer == cert.subject
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, ec.SECP256R1)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=700) < lifetime < datetime.timedelta(days=740)

    extensions = cert.extensions
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_cert_sign
    eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]

    names, addresses = _san(material)
    assert {"localhost", "broker.example.org", socket.gethostname().lower()} <= names
    assert {"127.0.0.1", "::1", "10.1.2.3", "fe80::1"} <= addresses

    der = cert.public_bytes(serialization.Encoding.DER)
    assert material.fingerprint_sha256 == hashlib.sha256(der).hexdigest()
    assert ":" not in material.fingerprint_sha256


def test_existing_certificate_is_reused(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path)
    again = ensure_certificate(tmp_path, ["localhost", "127.0.0.1"])
    assert again == first
    # Wildcard addresses mean "all interfaces": they never go into the certificate.
    wildcard = ensure_certificate(tmp_path, ["0.0.0.0", "::", "[::]"])
    assert wildcard == first
    _, addresses = _san(wildcard)
    assert "0.0.0.0" not in addresses
    assert "::" not in addresses


def test_a_new_host_renews_the_certificate_with_the_same_key(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, ["one.example"])
    second = ensure_certificate(tmp_path, ["192.0.2.7"])
    assert second.cert_pem != first.cert_pem
    assert second.key_pem == first.key_pem
    names, addresses = _san(second)
    assert "192.0.2.7" in addresses
    assert "one.example" in names  # hosts served before are kept
    assert ensure_certificate(tmp_path, ["192.0.2.7", "one.example"]) == second


def test_a_certificate_near_expiry_is_renewed(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path)
    key = serialization.load_pem_private_key(first.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=710)
    old = tls_certificate._self_signed(key, ["localhost"], long_ago)
    first.cert_path.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    renewed = ensure_certificate(tmp_path)
    remaining = _cert(renewed).not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert remaining > datetime.timedelta(days=700)
    assert renewed.key_pem == first.key_pem


def test_a_damaged_key_is_replaced(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path)
    first.key_path.write_bytes(b"not a key")
    second = ensure_certificate(tmp_path)
    assert second.key_pem != first.key_pem
    assert second.cert_pem != first.cert_pem
    assert _mode(second.key_path) == 0o600
    key = serialization.load_pem_private_key(second.key_pem, password=None)
    assert _cert(second).public_key() == key.public_key()


def test_an_invalid_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid host name"):
        ensure_certificate(tmp_path, ["bad..name"])


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost"])
def test_clients_trust_the_certificate_file_as_their_ca(tmp_path: Path, hostname: str) -> None:
    material = ensure_certificate(tmp_path)
    server_context = server_ssl_context(material)
    assert server_context.minimum_version == ssl.TLSVersion.TLSv1_2
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=str(material.cert_path))
    client.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        client.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        assert tls.recv(5) == b"hello"
        peer = tls.getpeercert(binary_form=True)
        assert peer is not None
        assert hashlib.sha256(peer).hexdigest() == material.fingerprint_sha256
    thread.join(10)
    listener.close()
