"""Every signed route refuses a request that is not signed right, with 401 and the JSON error
body, before it asks Modal anything."""

from __future__ import annotations

from open_inspect_modal.signing import MAX_SKEW_MS

from .conftest import KEY, NOW, create_body


def assert_401(response, needle: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    assert needle in body["error"]["message"], body


def test_unsigned_and_wrong_scheme(api, fake) -> None:
    assert_401(api.http.post("/v1/sandboxes", json=create_body()), "not signed")
    assert_401(api.http.get("/v1/sandboxes/x", headers={"authorization": "Bearer abc"}), "scheme")
    assert_401(api.http.get("/v1/sandboxes/x", headers={"authorization": "OI-HMAC-SHA256 ts=1"}), "needs ts")
    assert fake.calls_to("Sandbox.create") == []


def test_tampered_body_wrong_path_wrong_key_and_query(api, fake) -> None:
    body = create_body()
    assert_401(api.post("/v1/sandboxes", body, signed_body=b"{}"), "does not match")
    assert_401(api.post("/v1/sandboxes", body, signed_path="/v1/images"), "does not match")
    assert_401(api.post("/v1/sandboxes", body, key=b"not-the-key"), "does not match")
    # The query is signed too: the signature covers a=1, the request sends a=2.
    assert_401(api.get("/v1/sandboxes/x", query="a=2", signed_query="a=1"), "does not match")
    assert_401(api.get("/v1/sandboxes/x", signed_path="/v1/sandboxes/y"), "does not match")
    assert fake.calls_to("Sandbox.create") == []


def test_stale_and_future_timestamps(api) -> None:
    assert_401(api.get("/v1/sandboxes/x", ts=NOW - MAX_SKEW_MS - 1), "5 minutes")
    assert_401(api.get("/v1/sandboxes/x", ts=NOW + MAX_SKEW_MS + 1), "5 minutes")


def test_replayed_nonce_is_refused(api, fake) -> None:
    first = api.post("/v1/sandboxes", create_body(), nonce="abcd")
    assert first.status_code == 201, first.text
    again = api.post("/v1/sandboxes", create_body(), nonce="abcd")
    assert_401(again, "already used")
    assert len(fake.calls_to("Sandbox.create")) == 1
    # The nonce is kept in the durable Dict, not in the container's memory.
    assert fake.dicts["open-inspect-nonces"].data["abcd"] == NOW


def test_a_replay_to_another_container_is_refused(api, fake, settings, clock) -> None:
    from fastapi.testclient import TestClient

    from open_inspect_modal.web import create_app

    from .conftest import SignedClient, make_deps

    assert api.get("/v1/sandboxes/none", nonce="beef").status_code == 404
    other = SignedClient(TestClient(create_app(make_deps(fake, settings, clock))), clock)
    assert_401(other.get("/v1/sandboxes/none", nonce="beef"), "already used")


def test_query_is_part_of_the_signature(api) -> None:
    # Signed and sent with the same query in another order: accepted (404: no such sandbox).
    response = api.request("GET", "/v1/sandboxes/x", query="b=2&a=1")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_no_key_configured_fails_closed(fake, clock) -> None:
    from fastapi.testclient import TestClient

    from open_inspect_modal.settings import Settings
    from open_inspect_modal.web import create_app

    from .conftest import SignedClient, make_deps

    settings = Settings(provider_key=None, allowed_hosts=("cp.example.com",))
    client = SignedClient(TestClient(create_app(make_deps(fake, settings, clock))), clock)
    response = client.post("/v1/sandboxes", create_body())
    assert response.status_code == 500
    assert "OI_PROVIDER_KEY" in response.json()["error"]["message"]
    assert KEY  # the test key is not silently used
    assert fake.calls_to("Sandbox.create") == []


def test_oversized_body_is_413(api) -> None:
    response = api.post("/v1/sandboxes", b"x" * ((1 << 20) + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
