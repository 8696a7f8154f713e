"""The codec endpoint for the Temporal UI (编解码服务): with it, a signed-in administrator
sees workflow payloads decrypted in the UI. Temporal's codec server protocol: POST
`/codec/decode` and `/codec/encode` take and return `{"payloads": [...]}` in protobuf JSON.

The UI calls it from its own origin, with the console's session cookie ("include
cross-origin credentials"); only origins in `ALLIANCE_CODEC_CORS_ORIGINS` may do so.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from client.payload_codec import EncryptionCodec, PayloadUndecryptable, payload_keys
from domain.procedure import Role
from web.pages import settings_of, signed_in

router = APIRouter()
OPERATIONS = ("decode", "encode")
_NO_CODEC = object()


def _codec(request: Request) -> EncryptionCodec | None:
    """The keys are read once per app; None when payload encryption is off."""
    codec = getattr(request.app.state, "payload_codec", _NO_CODEC)
    if codec is _NO_CODEC:
        keys = payload_keys(settings_of(request))
        codec = EncryptionCodec(keys) if keys else None
        request.app.state.payload_codec = codec
    return codec  # type: ignore[return-value]


def _allowed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    return origin if origin in settings_of(request).codec_cors_origins else None


def _cors(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def _refuse(status: int, zh: str, en: str, origin: str | None) -> JSONResponse:
    return JSONResponse({"detail": f"{zh} ({en})"}, status_code=status, headers=_cors(origin))


@router.options("/codec/{operation}")
def codec_preflight(request: Request, operation: str) -> Response:
    """CORS preflight: answered only for a listed origin, which the browser then trusts."""
    origin = _allowed_origin(request)
    if operation not in OPERATIONS or origin is None:
        return Response(status_code=403)
    headers = _cors(origin) | {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "content-type,x-namespace",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


@router.post("/codec/{operation}")
async def codec(request: Request, operation: str) -> Response:
    origin = _allowed_origin(request)
    sent_from = request.headers.get("origin")
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    if sent_from is not None and origin is None and sent_from != own_origin:
        # another site's page posting with the administrator's cookie
        return _refuse(403, "来源未获准", "origin not allowed", None)
    if operation not in OPERATIONS:
        return _refuse(404, "没有该操作", "no such operation", origin)
    user = await asyncio.to_thread(signed_in, request)  # reads the registry
    if user is None:
        return _refuse(401, "请先登录控制台", "sign in to the console first", origin)
    if user.role != Role.ADMINISTRATOR.value:
        return _refuse(403, "只有系统管理员可以查看解密数据", "administrators only", origin)
    codec = _codec(request)
    if codec is None:
        return _refuse(404, "未启用数据加密", "payload encryption is not configured", origin)
    payloads = Payloads()
    try:
        json_format.Parse(await request.body(), payloads)
    except json_format.ParseError as error:
        return _refuse(400, "请求不是 Payloads JSON", f"not a Payloads JSON body: {error}", origin)
    try:
        if operation == "decode":
            await codec.decode_wrapper(payloads)
        else:
            await codec.encode_wrapper(payloads)
    except PayloadUndecryptable as error:
        return JSONResponse({"detail": str(error)}, status_code=422, headers=_cors(origin))
    return Response(
        json_format.MessageToJson(payloads),
        media_type="application/json",
        headers=_cors(origin),
    )
