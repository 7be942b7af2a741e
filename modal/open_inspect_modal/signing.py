"""Signed requests: `Authorization: OI-HMAC-SHA256 ts=<unix ms>,nonce=<hex>,sig=<hex>`, the same
algorithm and messages as `crates/protocol/src/signing.rs` (its golden vector is in
tests/test_signing.py), plus the replay check the verifier leaves to its caller.

`sig` is HMAC-SHA256 with the shared key over

    OI-HMAC-SHA256\\n<METHOD>\\n<path>\\n<sorted query>\\n<sha256 hex of the body>\\n<ts>\\n<nonce>
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from .errors import ApiError
from .store import KV

SCHEME = "OI-HMAC-SHA256"
# How far a request's timestamp may be from the verifier's clock.
MAX_SKEW_MS = 5 * 60 * 1000

_INT = re.compile(r"[+-]?[0-9]+")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_NONCE = re.compile(r"[0-9a-fA-F]{1,64}")


def sorted_query(query: str) -> str:
    """The query's `name=value` pairs, as sent, sorted and joined with `&`."""
    return "&".join(sorted(p for p in query.split("&") if p))


def canonical(method: str, path: str, query: str, body: bytes, ts: int, nonce: str) -> str:
    """The canonical string that is signed."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{SCHEME}\n{method.upper()}\n{path}\n{sorted_query(query)}\n{digest}\n{ts}\n{nonce}"


def _mac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def authorization(key: bytes, method: str, path: str, query: str, body: bytes, ts: int, nonce: str) -> str:
    """The `Authorization` header value for a request (what the control plane sends)."""
    sig = _mac(key, canonical(method, path, query, body, ts, nonce)).hex()
    return f"{SCHEME} ts={ts},nonce={nonce},sig={sig}"


@dataclass(frozen=True)
class Verified:
    """A verified request's timestamp and nonce, for the replay check."""

    ts: int
    nonce: str


def _unauthorized(message: str) -> ApiError:
    return ApiError("unauthorized", message)


def verify(
    key: bytes, header: str | None, method: str, path: str, query: str, body: bytes, now_ms: int
) -> Verified:
    """Checks the header's signature and timestamp; raises 401 naming the reason."""
    if header is None:
        raise _unauthorized("the request is not signed")
    if not header.startswith(SCHEME):
        raise _unauthorized("the Authorization scheme must be OI-HMAC-SHA256")
    ts: int | None = None
    nonce: str | None = None
    sig: bytes | None = None
    for field in header[len(SCHEME) :].strip().split(","):
        name, sep, value = field.strip().partition("=")
        if not sep:
            continue
        if name == "ts":
            ts = int(value) if _INT.fullmatch(value) else None
        elif name == "nonce":
            nonce = value
        elif name == "sig":
            sig = bytes.fromhex(value) if _HEX.fullmatch(value) else None
    if ts is None or nonce is None or sig is None:
        raise _unauthorized("the signature header needs ts, nonce and sig")
    if not _NONCE.fullmatch(nonce):
        raise _unauthorized("the nonce must be 1 to 64 hex digits")
    if abs(now_ms - ts) > MAX_SKEW_MS:
        raise _unauthorized("the request timestamp is more than 5 minutes from the server's clock")
    expected = _mac(key, canonical(method, path, query, body, ts, nonce))
    if not hmac.compare_digest(expected, sig):
        raise _unauthorized("the signature does not match the request")
    return Verified(ts=ts, nonce=nonce)


class NonceGuard:
    """Rejects a nonce seen before. Backed by a `KV`: in production the `modal.Dict`
    `open-inspect-nonces`, so every container of the app sees every other's nonces.

    `KV.put(..., skip_if_exists=True)` is one atomic insert-if-absent, so two containers racing
    on the same nonce cannot both win. Entries are never removed here: Modal drops a Dict entry
    after 7 days without reads or writes, long after its request went stale (±5 minutes). A
    nonce is therefore rejected for at least the replay window, and usually for longer, which
    is stricter than required and harmless for random 128-bit nonces.
    """

    def __init__(self, kv: KV) -> None:
        self._kv = kv

    def check_and_insert(self, nonce: str, ts: int) -> bool:
        """`True` when the nonce is new (and is now recorded); `False` for a replay."""
        return bool(self._kv.put(nonce, ts, skip_if_exists=True))
