"""Errors as the contract sends them: `{"error":{"code","message"}}` with the code's HTTP status
(`crates/protocol/src/error.rs`). Unlike a `{success:false}` envelope, the status is real."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

# `ErrorCode::http_status` for the codes this provider uses.
STATUS = {
    "bad_json": 400,
    "invalid_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "internal": 500,
}


class ApiError(Exception):
    """An error the routes answer with; `code` is one of `STATUS`."""

    def __init__(self, code: str, message: str) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def invalid(message: str) -> ApiError:
    return ApiError("invalid_request", message)


def not_found(message: str) -> ApiError:
    return ApiError("not_found", message)


def conflict(message: str) -> ApiError:
    return ApiError("conflict", message)


def internal(message: str) -> ApiError:
    return ApiError("internal", message)


M = TypeVar("M", bound=BaseModel)


def decode(model: type[M], body: bytes) -> M:
    """A request body as `model`, like `oi_protocol::decode::decode_body`: `bad_json` when it does
    not parse, `invalid_request` when a field is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("bad_json", "the body is not UTF-8") from None
    try:
        json.loads(text)
    except ValueError as e:
        raise ApiError("bad_json", f"the body is not valid JSON: {e}") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise invalid(f"the body is not a valid request: {problems}") from None
