"""The Temporal client, connected as the settings say (TLS, mTLS, API key) with the data
converter the workflows use (payloads encrypted when keys are configured)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from temporalio.client import Client, Interceptor, TLSConfig
from temporalio.runtime import Runtime

from client.payload_codec import data_converter_for
from domain.settings import Settings

CA_SETTING = "ALLIANCE_TEMPORAL_TLS_CA_PATH"
SERVER_NAME_SETTING = "ALLIANCE_TEMPORAL_TLS_SERVER_NAME"
CERT_SETTING = "ALLIANCE_TEMPORAL_TLS_CERT_PATH"
KEY_SETTING = "ALLIANCE_TEMPORAL_TLS_KEY_PATH"


class TemporalConnectionSettingsInvalid(ValueError):
    """The TLS settings cannot be used, or the server refused them; the message names the
    setting to change. Not a `RuntimeError`: trying again would not help."""


async def connect(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    tls = tls_config(settings)
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter_for(settings),
            tls=tls,
            api_key=settings.temporal_api_key or None,
            interceptors=list(interceptors),
            runtime=runtime,  # None: the SDK's default runtime
        )
    except RuntimeError as error:
        refused = _tls_refusal(str(error), settings) if tls else None
        if refused is None:
            raise  # not reachable (yet): callers say so and may try again
    # raised outside the except block, so it is not read as "Temporal unreachable"
    raise TemporalConnectionSettingsInvalid(refused)


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS when asked for, or implied by a CA, a client certificate or an API key."""
    wanted = (
        settings.temporal_tls
        or settings.temporal_tls_ca_path
        or settings.temporal_tls_cert_path
        or settings.temporal_tls_key_path
        or settings.temporal_api_key
    )
    if not wanted:
        return False
    cert, key = settings.temporal_tls_cert_path, settings.temporal_tls_key_path
    if bool(cert) != bool(key):
        present, missing = (CERT_SETTING, KEY_SETTING) if cert else (KEY_SETTING, CERT_SETTING)
        raise TemporalConnectionSettingsInvalid(
            f"{missing}: 已设置 {present} 但未设置 {missing}，客户端证书和私钥须同时设置 "
            f"({present} is set without {missing}: mTLS needs both the certificate and its key)"
        )
    ca = settings.temporal_tls_ca_path
    return TLSConfig(
        server_root_ca_cert=_pem(CA_SETTING, ca) if ca else None,  # None: the system's CAs
        domain=settings.temporal_tls_server_name or None,
        client_cert=_pem(CERT_SETTING, cert) if cert else None,
        client_private_key=_pem(KEY_SETTING, key) if key else None,
    )


def _pem(setting: str, path: str) -> bytes:
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        raise TemporalConnectionSettingsInvalid(
            f"{setting}: 文件不存在 (no such file): {path}"
        ) from None
    except OSError as error:
        raise TemporalConnectionSettingsInvalid(
            f"{setting}: 无法读取文件 (cannot read the file): {path}: {error.strerror or error}"
        ) from None
    if b"-----BEGIN" not in content:
        raise TemporalConnectionSettingsInvalid(
            f"{setting}: 不是 PEM 格式的文件 (not a PEM file, no -----BEGIN line): {path}"
        )
    return content


def _tls_refusal(reason: str, settings: Settings) -> str | None:
    """What to change when the TLS handshake failed, or None when it was something else."""
    address = settings.temporal_address
    if "InvalidCertificate" in reason:
        return (
            f"Temporal 服务 {address} 的证书未通过验证：请检查 {CA_SETTING}（签发服务器证书的 CA）"
            f"和 {SERVER_NAME_SETTING}（证书中的服务器名称） (the certificate of the Temporal "
            f"server at {address} was not accepted: check {CA_SETTING}, the CA that signed it, "
            f"and {SERVER_NAME_SETTING}, the name it holds) — {reason}"
        )
    if "InconsistentKeys" in reason or "KeyMismatch" in reason:
        return (
            f"{CERT_SETTING} 与 {KEY_SETTING} 不是一对：私钥与客户端证书不匹配 (the private key "
            f"in {KEY_SETTING} does not belong to the certificate in {CERT_SETTING}) — {reason}"
        )
    if "fatal alert" in reason or "tls handshake eof" in reason:  # closed mid-handshake
        return (
            f"Temporal 服务 {address} 拒绝了 TLS 连接：如服务器要求客户端证书，"
            f"请检查 {CERT_SETTING} 和 {KEY_SETTING}（须由服务器信任的 CA 签发），"
            f"或 ALLIANCE_TEMPORAL_API_KEY "
            f"(the Temporal server at {address} refused the TLS connection: if it requires "
            f"client certificates, check {CERT_SETTING} and {KEY_SETTING}, signed by a CA it "
            f"trusts, or ALLIANCE_TEMPORAL_API_KEY) — {reason}"
        )
    return None
