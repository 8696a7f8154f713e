"""Personal data encrypted in Temporal: the payload codec, its keys and their rotation, and
the codec endpoint through which administrators read payloads in the Temporal UI."""

from __future__ import annotations

import base64
import json

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from client.payload_codec import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    PayloadKeysInvalid,
    PayloadUndecryptable,
    data_converter,
    new_key_line,
    parse_keys,
    payload_keys,
)
from domain.procedure import Role
from domain.settings import Settings
from registry.staff_accounts import create_user
from tests.web.conftest import PASSWORD, browser, sign_in
from web.app import create_app

KEY_A = new_key_line("2025-a")
KEY_B = new_key_line("2026-b")
EMAIL = "wang.fang@lead-unit.example"
UI = "https://temporal-ui.kjj.anshan.example"


def keys(*lines: str) -> dict[str, bytes]:
    return parse_keys([("test", line) for line in lines])


def plain(value: object) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


async def test_encrypted_payload_holds_no_clear_text_and_round_trips():
    codec = EncryptionCodec(keys(KEY_A))
    [sealed] = await codec.encode([plain({"contact_email": EMAIL})])
    assert EMAIL.encode() not in sealed.SerializeToString()
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"2025-a"
    [opened] = await codec.decode([sealed])
    assert opened == plain({"contact_email": EMAIL})


async def test_each_payload_gets_its_own_nonce():
    codec = EncryptionCodec(keys(KEY_A))
    first, second = await codec.encode([plain(EMAIL), plain(EMAIL)])
    assert first.data != second.data


async def test_after_rotation_new_payloads_use_the_new_key_and_old_ones_still_open():
    [old] = await EncryptionCodec(keys(KEY_A)).encode([plain(EMAIL)])
    rotated = EncryptionCodec(keys(KEY_B, KEY_A))
    [new] = await rotated.encode([plain(EMAIL)])
    assert new.metadata[KEY_ID] == b"2026-b"
    assert await rotated.decode([old, new]) == [plain(EMAIL), plain(EMAIL)]


async def test_payload_of_a_removed_key_is_refused_naming_the_key():
    [old] = await EncryptionCodec(keys(KEY_A)).encode([plain(EMAIL)])
    with pytest.raises(PayloadUndecryptable, match="2025-a"):
        await EncryptionCodec(keys(KEY_B)).decode([old])


async def test_a_different_key_under_the_same_id_is_refused():
    [sealed] = await EncryptionCodec(keys(KEY_A)).encode([plain(EMAIL)])
    impostor = new_key_line("2025-a")
    with pytest.raises(PayloadUndecryptable, match="not the one that encrypted it"):
        await EncryptionCodec(keys(impostor)).decode([sealed])


async def test_payloads_written_before_encryption_are_read_as_they_are():
    earlier = plain({"contact_email": EMAIL})
    assert await EncryptionCodec(keys(KEY_A)).decode([earlier]) == [earlier]


async def test_failure_messages_are_encrypted_and_read_back_by_the_client():
    converter = data_converter(keys(KEY_A))
    proto = Failure()
    refusal = ApplicationError(f"联系人 {EMAIL} 不符", "联系人不符", "contact refused")
    await converter.encode_failure(refusal, proto)
    assert EMAIL.encode() not in proto.SerializeToString()
    decoded = await converter.decode_failure(proto)
    assert isinstance(decoded, ApplicationError)
    assert decoded.message == f"联系人 {EMAIL} 不符"
    assert list(decoded.details) == ["联系人不符", "contact refused"]


def test_no_keys_means_the_plain_converter():
    assert data_converter({}) is pydantic_data_converter
    assert payload_keys(Settings(payload_keys="")) == {}


def test_first_key_in_the_setting_encrypts():
    found = payload_keys(Settings(payload_keys=f" {KEY_B} , {KEY_A} "))
    assert list(found) == ["2026-b", "2025-a"]


def test_key_file_with_comments_and_blank_lines(tmp_path):
    path = tmp_path / "payload-keys"
    path.write_text(f"# rotated 2026-01\n{KEY_B}\n\n# old, keep until 2031\n{KEY_A}\n")
    found = payload_keys(Settings(payload_keys=KEY_A, payload_keys_file=str(path)))
    assert list(found) == ["2026-b", "2025-a"]


@pytest.mark.parametrize(
    "setting, says",
    [
        ("k1=" + base64.b64encode(b"x" * 16).decode(), "16 bytes"),
        ("k1=not base64!", "not base64"),
        (f"{KEY_A},{KEY_A}", "appears twice"),
        ("k1", "expected `key id=base64 key`"),
        ("k 1=" + base64.b64encode(b"x" * 32).decode(), "letters, digits"),
    ],
)
def test_bad_key_setting_is_refused_naming_it(setting, says):
    with pytest.raises(PayloadKeysInvalid) as refused:
        payload_keys(Settings(payload_keys=setting))
    assert "ALLIANCE_PAYLOAD_KEYS" in str(refused.value) and says in str(refused.value)


def test_refusal_does_not_print_the_key_material():
    short = base64.b64encode(b"secret-key-material").decode()
    with pytest.raises(PayloadKeysInvalid) as refused:
        payload_keys(Settings(payload_keys=f"{KEY_A},k2={short}"))
    assert short not in str(refused.value) and KEY_A.split("=", 1)[1] not in str(refused.value)


def test_missing_key_file_is_refused_naming_the_setting(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(PayloadKeysInvalid, match="ALLIANCE_PAYLOAD_KEYS_FILE.*nowhere"):
        payload_keys(Settings(payload_keys_file=str(missing)))


def test_bad_line_in_key_file_names_the_line(tmp_path):
    path = tmp_path / "payload-keys"
    path.write_text(f"{KEY_A}\n# comment\nk2=c2hvcnQ=\n")
    with pytest.raises(PayloadKeysInvalid, match=r"payload-keys:3.*k2"):
        payload_keys(Settings(payload_keys_file=str(path)))


def test_new_key_line_is_a_usable_32_byte_key():
    line = new_key_line("2027-c")
    assert list(keys(line)) == ["2027-c"] and len(keys(line)["2027-c"]) == 32
    assert new_key_line("2027-c") != line
    with pytest.raises(PayloadKeysInvalid):
        new_key_line("bad id")


# ---- the codec endpoint the Temporal UI calls


@pytest.fixture
def codec_app(sqlite_url, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        payload_keys=f"{KEY_B},{KEY_A}",
        codec_cors_origins=[UI],
    )
    create_user(sqlite_url, "admin", "管理员", PASSWORD, Role.ADMINISTRATOR, None)
    create_user(sqlite_url, "clerk", "记录员", PASSWORD, Role.DIRECTOR_CLERK, None)
    return create_app(settings)


async def sealed_body() -> bytes:
    """What the UI sends: a payload from history, written with the older key."""
    [sealed] = await EncryptionCodec(keys(KEY_A)).encode([plain({"contact_email": EMAIL})])
    return json_format.MessageToJson(Payloads(payloads=[sealed])).encode()


async def test_administrator_reads_decoded_payloads_from_the_ui_origin(codec_app):
    async with browser(codec_app) as client:
        await sign_in(client, "admin")
        response = await client.post(
            "/codec/decode",
            content=await sealed_body(),
            headers={"content-type": "application/json", "origin": UI, "x-namespace": "default"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"
    [payload] = json_format.Parse(response.content, Payloads()).payloads
    assert json.loads(payload.data) == {"contact_email": EMAIL}


async def test_encode_then_decode_through_the_endpoint(codec_app):
    body = json_format.MessageToJson(Payloads(payloads=[plain(EMAIL)])).encode()
    async with browser(codec_app) as client:
        await sign_in(client, "admin")
        encoded = await client.post("/codec/encode", content=body)
        assert EMAIL.encode() not in encoded.content
        [sealed] = json_format.Parse(encoded.content, Payloads()).payloads
        assert sealed.metadata[KEY_ID] == b"2026-b"  # the first key encrypts
        decoded = await client.post("/codec/decode", content=encoded.content)
    assert json_format.Parse(decoded.content, Payloads()).payloads[0] == plain(EMAIL)


async def test_clerk_and_anonymous_are_refused(codec_app):
    body = await sealed_body()
    async with browser(codec_app) as anonymous:
        refused = await anonymous.post("/codec/decode", content=body)
        assert refused.status_code == 401
        assert EMAIL not in refused.text
    async with browser(codec_app) as clerk:
        await sign_in(clerk, "clerk")
        refused = await clerk.post("/codec/decode", content=body)
        assert refused.status_code == 403
        assert EMAIL not in refused.text


async def test_another_origin_is_refused_even_with_an_administrator_cookie(codec_app):
    async with browser(codec_app) as client:
        await sign_in(client, "admin")
        refused = await client.post(
            "/codec/decode",
            content=await sealed_body(),
            headers={"origin": "https://elsewhere.example"},
        )
    assert refused.status_code == 403
    assert EMAIL not in refused.text
    assert "access-control-allow-origin" not in refused.headers


async def test_preflight_answered_for_the_ui_origin_only(codec_app):
    asked = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-namespace",
    }
    async with browser(codec_app) as client:
        allowed = await client.options("/codec/decode", headers={"origin": UI, **asked})
        other = await client.options(
            "/codec/decode", headers={"origin": "https://elsewhere.example", **asked}
        )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["access-control-allow-methods"] == "POST"
    assert set(allowed.headers["access-control-allow-headers"].split(",")) == {
        "content-type",
        "x-namespace",
    }
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers


async def test_endpoint_is_absent_without_keys(sqlite_url, tmp_path):
    create_user(sqlite_url, "admin", "管理员", PASSWORD, Role.ADMINISTRATOR, None)
    app = create_app(Settings(data_dir=tmp_path, database_url=sqlite_url))
    async with browser(app) as client:
        await sign_in(client, "admin")
        response = await client.post("/codec/decode", content=await sealed_body())
    assert response.status_code == 404
