"""A self-signed TLS certificate for the broker, kept in ``<data dir>/tls``.

The certificate is its own CA (basicConstraints CA:TRUE), so a client can trust it by passing
``cert.pem`` as its CA file. It is created on first use and replaced when it nears expiry or
lacks a host the broker is asked to serve.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from embedded_broker.private_files import write_private_file

TLS_DIR = "tls"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
COMMON_NAME = "Ensign Workbench broker"
VALIDITY = datetime.timedelta(days=730)
RENEW_BEFORE = datetime.timedelta(days=30)
_BACKDATE = datetime.timedelta(minutes=5)  # tolerate clients whose clock is a little behind
_DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")

_IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SanEntry = str | _IpAddress


@dataclass(frozen=True)
class TlsMaterial:
    """The broker's certificate and private key, as files and as PEM bytes."""

    cert_path: Path
    key_path: Path
    cert_pem: bytes
    key_pem: bytes

    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the DER certificate as lowercase hex without colons, for display."""
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        return cert.fingerprint(hashes.SHA256()).hex()


def ensure_certificate(data_dir: Path, hosts: Sequence[str] = ()) -> TlsMaterial:
    """Return the broker's certificate, creating or renewing it when needed.

    The SubjectAltName always covers localhost, 127.0.0.1, ::1 and this machine's hostname,
    plus every host in ``hosts``. Wildcard addresses (``0.0.0.0``, ``::``) mean "all
    interfaces" and are not added. An existing certificate is reused unless it expires within
    30 days, lacks a requested host, or does not match the key; a usable key is kept.

    Args:
        data_dir: the broker's data directory; files go to ``data_dir/tls``.
        hosts: host names or IP addresses clients will use to reach the broker.

    Raises:
        ValueError: if a host is neither an IP address nor a valid DNS name.
    """
    tls_dir = data_dir / TLS_DIR
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
    cert_path, key_path = tls_dir / CERT_FILE, tls_dir / KEY_FILE
    wanted = _san_entries([*_DEFAULT_HOSTS, *_machine_hostname(), *hosts])

    key = _load_key(key_path)
    cert = _load_cert(cert_path)
    now = datetime.datetime.now(datetime.UTC)
    if key is not None and cert is not None and _still_good(cert, key, wanted, now):
        return TlsMaterial(cert_path, key_path, cert_path.read_bytes(), key_path.read_bytes())

    if key is None:
        key = ec.generate_private_key(ec.SECP256R1())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private_file(key_path, key_pem)
    key_pem = key_path.read_bytes()
    # Keep the hosts an older certificate served, so renewing never drops one.
    previous = _cert_san(cert) if cert is not None else set()
    cert_pem = _self_signed(key, _ordered(wanted | previous), now).public_bytes(
        serialization.Encoding.PEM
    )
    write_private_file(cert_path, cert_pem)
    os.chmod(cert_path, 0o644)
    return TlsMaterial(cert_path, key_path, cert_pem, key_pem)


def server_ssl_context(material: TlsMaterial) -> ssl.SSLContext:
    """A server-side TLS (1.2 or later) context that presents ``material``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(material.cert_path, material.key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _machine_hostname() -> list[str]:
    try:
        name = socket.gethostname().strip().rstrip(".")
        _san_entries([name])
    except (OSError, ValueError):
        return []
    return [name] if name else []


def _san_entries(hosts: Iterable[str]) -> set[_SanEntry]:
    """Normalise hosts: IP addresses become address objects, names lowercase A-labels."""
    entries: set[_SanEntry] = set()
    for raw in hosts:
        host = raw.strip().removeprefix("[").removesuffix("]")
        if not host or host == "*":
            continue
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            entries.add(_dns_name(host))
            continue
        if not address.is_unspecified:
            entries.add(address)
    return entries


def _dns_name(host: str) -> str:
    try:
        name = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{host!r} is not a valid host name") from None
    labels = name.split(".")
    if not all(label and len(label) <= 63 for label in labels) or len(name) > 253:
        raise ValueError(f"{host!r} is not a valid host name")
    return name


def _ordered(entries: set[_SanEntry]) -> list[_SanEntry]:
    names = sorted(e for e in entries if isinstance(e, str))
    addresses = sorted((e for e in entries if not isinstance(e, str)), key=lambda a: (a.version, a))
    return [*names, *addresses]


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    return None


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _cert_san(cert: x509.Certificate) -> set[_SanEntry]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return set()
    entries: set[_SanEntry] = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
    entries.update(
        a
        for a in san.get_values_for_type(x509.IPAddress)
        if isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address)
    )
    return entries


def _still_good(
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    wanted: set[_SanEntry],
    now: datetime.datetime,
) -> bool:
    return (
        _spki(cert.public_key()) == _spki(key.public_key())
        and cert.not_valid_before_utc <= now + _BACKDATE
        and cert.not_valid_after_utc - now > RENEW_BEFORE
        and wanted <= _cert_san(cert)
    )


def _spki(public: object) -> bytes:
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return b""
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _self_signed(
    key: ec.EllipticCurvePrivateKey, san: list[_SanEntry], now: datetime.datetime
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    general_names: list[x509.GeneralName] = [
        x509.DNSName(e) if isinstance(e, str) else x509.IPAddress(e) for e in san
    ]
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
