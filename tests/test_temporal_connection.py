"""The connection to Temporal: TLS with the bureau's CA, mTLS with a client certificate,
and clear messages for a missing or wrong file, a wrong CA, name or key.

`temporal server start-dev` has no TLS flags, so the TLS tests put a TLS-terminating TCP
proxy (as a load balancer in front of Temporal would be) before Temporal's test server,
with certificates made here by a throwaway CA.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import TLSConfig
from temporalio.testing import WorkflowEnvironment

from admin import simulation
from client.connection import TemporalConnectionSettingsInvalid, connect, tls_config
from domain.settings import Settings

SERVER_NAME = "temporal.kjj.anshan.example"


# ---- settings → TLS configuration, without a server


def test_no_tls_settings_means_a_plain_connection():
    assert tls_config(Settings()) is False


def test_api_key_alone_means_tls_with_the_system_cas():
    tls = tls_config(Settings(temporal_api_key="cloud-key"))
    assert isinstance(tls, TLSConfig) and tls.server_root_ca_cert is None


def test_missing_ca_file_is_named(tmp_path):
    missing = tmp_path / "ca.pem"
    with pytest.raises(TemporalConnectionSettingsInvalid) as refused:
        tls_config(Settings(temporal_tls=True, temporal_tls_ca_path=str(missing)))
    assert str(refused.value) == (
        f"ALLIANCE_TEMPORAL_TLS_CA_PATH: 文件不存在 (no such file): {missing}"
    )


def test_file_that_is_not_pem_is_named(tmp_path):
    der = tmp_path / "ca.der"
    der.write_bytes(make_ca("DER CA").cert.public_bytes(serialization.Encoding.DER))
    with pytest.raises(TemporalConnectionSettingsInvalid, match="not a PEM file") as refused:
        tls_config(Settings(temporal_tls_ca_path=str(der)))
    assert "ALLIANCE_TEMPORAL_TLS_CA_PATH" in str(refused.value)


@pytest.mark.parametrize(
    "given, missing",
    [
        ("temporal_tls_cert_path", "ALLIANCE_TEMPORAL_TLS_KEY_PATH"),
        ("temporal_tls_key_path", "ALLIANCE_TEMPORAL_TLS_CERT_PATH"),
    ],
)
def test_certificate_without_key_or_key_without_certificate_is_refused(tmp_path, given, missing):
    pem = tmp_path / "half.pem"
    pem.write_bytes(make_ca("Half").cert_pem)
    with pytest.raises(TemporalConnectionSettingsInvalid) as refused:
        tls_config(Settings(**{given: str(pem)}))
    assert str(refused.value).startswith(f"{missing}: ")


# ---- a real TLS connection


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, folder: Path, name: str) -> tuple[str, str]:
        (folder / f"{name}.pem").write_bytes(self.cert_pem)
        (folder / f"{name}.key").write_bytes(self.key_pem)
        return str(folder / f"{name}.pem"), str(folder / f"{name}.key")


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey):
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def make_ca(name: str) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(name, subject, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(ca: Issued, name: str, server: bool) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(name, ca.cert.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if server:
        names = [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(OSError, ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@asynccontextmanager
async def tls_in_front_of(
    target: str, server: tuple[str, str], client_ca: Issued
) -> AsyncIterator[str]:
    """A TLS endpoint (HTTP/2 by ALPN, as gRPC needs) with the `server` certificate and key
    files, forwarding to `target` and requiring a client certificate from `client_ca`;
    yields its address."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*server)
    context.load_verify_locations(cadata=client_ca.cert_pem.decode())
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    # TLS 1.2: a missing client certificate ends the handshake itself; under 1.3 Python
    # drops the connection after it, without an alert, like any dropped connection
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    host, port = target.rsplit(":", 1)

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    proxy = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
    finally:
        proxy.close()


@dataclass
class Pki:
    folder: Path
    ca: Issued
    address: str

    def settings(self, **changes) -> Settings:
        ca_path = self.folder / "ca.pem"
        ca_path.write_bytes(self.ca.cert_pem)
        cert, key = issue(self.ca, "worker", server=False).write(self.folder, "client")
        given = {
            "temporal_address": self.address,
            "temporal_tls": True,
            "temporal_tls_ca_path": str(ca_path),
            "temporal_tls_server_name": SERVER_NAME,
            "temporal_tls_cert_path": cert,
            "temporal_tls_key_path": key,
        }
        return Settings(**(given | changes))


@pytest.fixture
async def pki(tmp_path) -> AsyncIterator[Pki]:
    """Temporal's test server behind TLS that requires a client certificate of our CA."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=simulation.test_server_path()
    )
    ca = make_ca("鞍山市科学技术局 Test CA")
    server = issue(ca, SERVER_NAME, server=True).write(tmp_path, "server")
    target = env.client.service_client.config.target_host
    try:
        async with tls_in_front_of(target, server, ca) as address:
            yield Pki(tmp_path, ca, address)
    finally:
        await env.shutdown()


async def test_mtls_connection_with_the_bureau_ca_works(pki):
    client = await connect(pki.settings())
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    # the server answered over mTLS, and keeps failure messages encoded (the payload codec)
    assert info.capabilities.encoded_failure_attributes


async def test_server_signed_by_another_ca_is_refused_naming_the_ca_setting(pki):
    other = pki.folder / "other-ca.pem"
    other.write_bytes(make_ca("Some other CA").cert_pem)
    with pytest.raises(TemporalConnectionSettingsInvalid) as refused:
        await connect(pki.settings(temporal_tls_ca_path=str(other)))
    message = str(refused.value)
    assert "ALLIANCE_TEMPORAL_TLS_CA_PATH" in message and pki.address in message
    assert "UnknownIssuer" in message  # the reason, kept for the operator


async def test_wrong_server_name_is_refused_naming_the_name_setting(pki):
    with pytest.raises(
        TemporalConnectionSettingsInvalid, match="ALLIANCE_TEMPORAL_TLS_SERVER_NAME"
    ):
        await connect(pki.settings(temporal_tls_server_name="temporal.elsewhere.example"))


async def test_missing_client_certificate_is_refused_naming_the_mtls_settings(pki):
    with pytest.raises(TemporalConnectionSettingsInvalid, match="ALLIANCE_TEMPORAL_TLS_CERT_PATH"):
        await connect(pki.settings(temporal_tls_cert_path="", temporal_tls_key_path=""))


async def test_key_of_another_certificate_is_refused(pki):
    settings = pki.settings()
    _, stray_key = issue(pki.ca, "someone", server=False).write(pki.folder, "stray")
    with pytest.raises(TemporalConnectionSettingsInvalid, match="does not belong"):
        await connect(settings.model_copy(update={"temporal_tls_key_path": stray_key}))


async def test_unreachable_server_stays_a_connection_error_to_retry(pki):
    """A server that is down is not a settings problem: the worker retries it."""
    with pytest.raises(RuntimeError, match="Failed client connect"):
        await connect(pki.settings(temporal_address="127.0.0.1:1"))


def test_an_operator_command_with_a_bad_tls_setting_says_which_without_a_trace(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "ALLIANCE_DATA_DIR": str(tmp_path),
        "ALLIANCE_TEMPORAL_TLS_CA_PATH": str(tmp_path / "no-such-ca.pem"),
    }
    admin = str(Path(sys.executable).parent / "alliance-admin")
    ran = subprocess.run(
        [admin, "replay", "--server"], env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 1
    assert "ALLIANCE_TEMPORAL_TLS_CA_PATH: 文件不存在 (no such file)" in ran.stderr
    assert "Traceback" not in ran.stderr
