"""Personal data encrypted in Temporal: every payload (workflow input, state, results,
failure messages) is sealed with AES-256-GCM before it leaves the process, so contact
emails and names never sit in clear in workflow histories.

Keys come from `ALLIANCE_PAYLOAD_KEYS` (`id=base64 key`, comma-separated) or, when set,
`ALLIANCE_PAYLOAD_KEYS_FILE` (one `id=base64 key` a line). The first key encrypts; every
key decrypts, so a new key is put first and the old ones stay until no history needs
them. Each payload names its key in its metadata. Payloads without the encrypted encoding
(written before encryption was switched on, or the saved test histories) pass through.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from domain.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEYS_SETTING = "ALLIANCE_PAYLOAD_KEYS"
KEYS_FILE_SETTING = "ALLIANCE_PAYLOAD_KEYS_FILE"


class PayloadKeysInvalid(ValueError):
    """The payload key settings cannot be used; the message names the setting."""


class PayloadUndecryptable(ValueError):
    """An encrypted payload whose key is not configured here, or not the one that sealed it."""


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with a fresh 12-byte nonce per payload; the first key encrypts."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise PayloadKeysInvalid(f"{KEYS_SETTING}: 没有密钥 (no keys)")
        self.encrypting_key_id = next(iter(keys))
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self.encrypting_key_id]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self.encrypting_key_id.encode()},
                    data=nonce + cipher.encrypt(nonce, payload.SerializeToString(), None),
                )
            )
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption: read as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadUndecryptable(
                f"数据用密钥 {key_id!r} 加密，但 {KEYS_SETTING} 中没有该密钥：请把它加回密钥列表 "
                f"(payload encrypted with key id {key_id!r}, which is not among the configured "
                f"payload keys; add it back to {KEYS_SETTING})"
            )
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except InvalidTag:
            raise PayloadUndecryptable(
                f"密钥 {key_id!r} 无法解密该数据：同名密钥的内容与加密时不同 "
                f"(key id {key_id!r} does not open this payload: the key under that id is "
                "not the one that encrypted it)"
            ) from None
        return Payload.FromString(plain)


def parse_keys(entries: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """Keys from (where, `id=base64 key`) entries, in order; `where` names the setting
    (and line) in errors. The key material itself never appears in a message."""
    keys: dict[str, bytes] = {}
    for where, entry in entries:
        key_id, separator, encoded = (part.strip() for part in entry.partition("="))
        if not separator or not key_id or not encoded:
            raise PayloadKeysInvalid(
                f"{where}: 应为“密钥编号=base64密钥” (expected `key id=base64 key`)"
            )
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise PayloadKeysInvalid(
                f"{where}: 密钥编号 {key_id!r} 只能用字母、数字和 . _ -，最长 64 个字符 "
                f"(key id {key_id!r}: letters, digits, . _ - only, at most 64 characters)"
            )
        if key_id in keys:
            raise PayloadKeysInvalid(
                f"{where}: 密钥编号 {key_id!r} 重复 (key id {key_id!r} appears twice)"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise PayloadKeysInvalid(
                f"{where}: 密钥 {key_id!r} 不是有效的 base64 (key {key_id!r} is not base64)"
            ) from None
        if len(key) != KEY_BYTES:
            raise PayloadKeysInvalid(
                f"{where}: 密钥 {key_id!r} 解码后为 {len(key)} 字节，应为 {KEY_BYTES} 字节 "
                f"(key {key_id!r} decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES})"
            )
        keys[key_id] = key
    return keys


def payload_keys(settings: Settings) -> dict[str, bytes]:
    """The configured keys, first one encrypting; empty when encryption is off. The file,
    when set, is used instead of the environment variable."""
    if settings.payload_keys_file:
        path = Path(settings.payload_keys_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise PayloadKeysInvalid(
                f"{KEYS_FILE_SETTING}: 无法读取密钥文件 (cannot read the key file) {path}: "
                f"{error.strerror or error}"
            ) from None
        entries = [
            (f"{KEYS_FILE_SETTING} {path}:{number}", line.strip())
            for number, line in enumerate(lines, 1)
            if line.strip() and not line.strip().startswith("#")
        ]
        if not entries:
            raise PayloadKeysInvalid(
                f"{KEYS_FILE_SETTING}: 密钥文件 {path} 中没有密钥 (no keys in {path})"
            )
        return parse_keys(entries)
    entries = [
        (f"{KEYS_SETTING} (第 {number} 项 entry {number})", entry.strip())
        for number, entry in enumerate(settings.payload_keys.split(","), 1)
        if entry.strip()
    ]
    return parse_keys(entries)


def data_converter(keys: dict[str, bytes]) -> DataConverter:
    """The pydantic converter the workflows use; with keys, payloads and failure messages
    (which may quote names) are encrypted."""
    if not keys:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter_for(settings: Settings) -> DataConverter:
    return data_converter(payload_keys(settings))


def new_key_line(key_id: str) -> str:
    """A fresh random key as one `id=base64 key` line, for the key file or the variable."""
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise PayloadKeysInvalid(
            f"密钥编号 {key_id!r} 只能用字母、数字和 . _ -，最长 64 个字符 "
            f"(key id {key_id!r}: letters, digits, . _ - only, at most 64 characters)"
        )
    return f"{key_id}={base64.b64encode(os.urandom(KEY_BYTES)).decode()}"
