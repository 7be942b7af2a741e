"""The signing algorithm against the Rust implementation's golden vector, and each way
`verify` refuses a request (crates/protocol/src/signing.rs)."""

from __future__ import annotations

import pytest

from open_inspect_modal.errors import ApiError
from open_inspect_modal.signing import MAX_SKEW_MS, NonceGuard, authorization, canonical, verify
from open_inspect_modal.store import MemoryKV

KEY = b"test-key"
TS = 1_795_455_544_882
GOLDEN = (
    "OI-HMAC-SHA256 ts=1795455544882,nonce=00ff,"
    "sig=8cb93349e967729311ad92e3a1c1aa4d8a8bb0784ec94b5ad7bf3feb12f852ac"
)


def test_golden_vector() -> None:
    assert canonical("POST", "/v1/sandboxes", "b=2&a=1", b"{}", TS, "00ff") == (
        "OI-HMAC-SHA256\nPOST\n/v1/sandboxes\na=1&b=2\n"
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n1795455544882\n00ff"
    )
    assert authorization(KEY, "POST", "/v1/sandboxes", "b=2&a=1", b"{}", TS, "00ff") == GOLDEN
    assert verify(KEY, GOLDEN, "POST", "/v1/sandboxes", "b=2&a=1", b"{}", TS).nonce == "00ff"


def _reason(header, key=KEY, method="POST", path="/v1/sandboxes", query="b=2&a=1", body=b"{}", now=TS) -> str:
    with pytest.raises(ApiError) as e:
        verify(key, header, method, path, query, body, now)
    assert e.value.code == "unauthorized" and e.value.status == 401
    return e.value.message


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"header": None}, "not signed"),
        ({"header": "Bearer x"}, "scheme"),
        ({"header": "OI-HMAC-SHA256 ts=1"}, "needs ts"),
        ({"header": "OI-HMAC-SHA256 ts=1x,nonce=00,sig=00"}, "needs ts"),
        ({"header": "OI-HMAC-SHA256 ts=1,nonce=00,sig=zz"}, "needs ts"),
        ({"header": "OI-HMAC-SHA256 ts=1795455544882,nonce=xyz,sig=00"}, "hex digits"),
        ({"header": GOLDEN, "body": b'{"x":1}'}, "does not match"),
        ({"header": GOLDEN, "key": b"other"}, "does not match"),
        ({"header": GOLDEN, "path": "/v1/sandboxes/x"}, "does not match"),
        ({"header": GOLDEN, "method": "PUT"}, "does not match"),
        ({"header": GOLDEN, "query": "a=1&b=3"}, "does not match"),
        ({"header": GOLDEN, "now": TS + MAX_SKEW_MS + 1}, "5 minutes"),
        ({"header": GOLDEN, "now": TS - MAX_SKEW_MS - 1}, "5 minutes"),
    ],
)
def test_verify_refuses(kwargs, needle) -> None:
    assert needle in _reason(**kwargs)


def test_query_order_and_the_edges_of_the_window_are_accepted() -> None:
    for now in (TS + MAX_SKEW_MS, TS - MAX_SKEW_MS):
        assert verify(KEY, GOLDEN, "POST", "/v1/sandboxes", "a=1&b=2", b"{}", now).ts == TS
    # An upper-case signature is the same bytes.
    upper = GOLDEN.replace(GOLDEN.split("sig=")[1], GOLDEN.split("sig=")[1].upper())
    assert verify(KEY, upper, "POST", "/v1/sandboxes", "b=2&a=1", b"{}", TS).nonce == "00ff"


def test_a_nonce_is_accepted_once_and_the_store_is_shared() -> None:
    kv = MemoryKV()
    first, second = NonceGuard(kv), NonceGuard(kv)  # two containers, one Dict
    assert first.check_and_insert("ab", TS, TS)
    assert not first.check_and_insert("ab", TS + 1, TS + 1)
    assert not second.check_and_insert("ab", TS + 2, TS + 2)
    assert second.check_and_insert("cd", TS, TS)
    assert kv.data == {"ab": TS, "cd": TS}
