"""Signed requests: `Authorization: OI-HMAC-SHA256 ts=<unix ms>,nonce=<hex>,sig=<hex>`, the same
algorithm and messages as `crates/protocol/src/signing.rs` (its golden vector is in
tests/test_signing.py), plus the replay check the verifier leaves to its caller.

`sig` is HMAC-SHA256 with the shared key over

    OI-HMAC-SHA256\\n<METHOD>\\n<path>\\n<sorted query>\\n<sha256 hex of the body>\\n<ts>\\n<nonce>
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .store import KV

log = logging.getLogger(__name__)

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


# Entries of the nonce Dict older than this are pruned: twice the window, so a container whose
# clock runs up to 5 minutes ahead of another's never drops a nonce the other still accepts.
KEEP_NONCES_MS = 2 * MAX_SKEW_MS
# How often one container prunes the nonce Dict (its first request after start prunes at once).
PRUNE_EVERY_MS = MAX_SKEW_MS


def is_prunable(value: Any, now_ms: int) -> bool:
    """Whether a nonce Dict entry (its request's timestamp) is old enough to drop. A value that
    is not a timestamp is left alone (Modal drops it after 7 days untouched)."""
    return isinstance(value, int) and not isinstance(value, bool) and now_ms - value > KEEP_NONCES_MS


class NonceGuard:
    """Rejects a nonce seen before. Backed by a `KV`: in production the `modal.Dict`
    `open-inspect-nonces` (`OI_NONCE_DICT`), which outlives every container, so a replay is
    refused by any container of the app and after any restart or redeploy.

    `KV.put(..., skip_if_exists=True)` is one atomic insert-if-absent, so two containers racing
    on the same nonce cannot both win. The value is the request's timestamp. A present nonce is
    refused whatever its age, and entries older than `KEEP_NONCES_MS` are pruned (at a
    container's first request, then every `PRUNE_EVERY_MS`): a pruned nonce's request is
    stale, so `verify` refuses it before the nonce is looked at.
    """

    def __init__(self, kv: KV, *, prune_every_ms: int = PRUNE_EVERY_MS) -> None:
        self._kv = kv
        self._prune_every_ms = prune_every_ms
        self._next_prune_ms: int | None = None
        self._pruning = threading.Lock()

    def check_and_insert(self, nonce: str, ts: int, now_ms: int) -> bool:
        """`True` when the nonce is new (and is now recorded); `False` for a replay."""
        self._maybe_prune(now_ms)
        return bool(self._kv.put(nonce, ts, skip_if_exists=True))

    def prune(self, now_ms: int) -> int:
        """Drops the entries `is_prunable` at `now_ms`; how many."""
        stale = [key for key, value in self._kv.items() if is_prunable(value, now_ms)]
        for key in stale:
            self._kv.pop(key, None)
        return len(stale)

    def _maybe_prune(self, now_ms: int) -> None:
        """Prunes when it is due, in one thread at a time; a failure only postpones it."""
        if self._next_prune_ms is not None and now_ms < self._next_prune_ms:
            return
        if not self._pruning.acquire(blocking=False):
            return
        try:
            self._next_prune_ms = now_ms + self._prune_every_ms
            dropped = self.prune(now_ms)
            if dropped:
                log.info("pruned %d stale nonces", dropped)
        except Exception as e:  # noqa: BLE001 - pruning is housekeeping; the check goes on
            log.warning("pruning the nonce Dict failed: %s: %s", type(e).__name__, e)
        finally:
            self._pruning.release()
