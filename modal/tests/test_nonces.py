"""The replay check is durable: nonces live in a `modal.Dict`, so a replay is refused across
containers and restarts, and entries past the window are pruned."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from open_inspect_modal.settings import Settings
from open_inspect_modal.signing import (
    KEEP_NONCES_MS,
    MAX_SKEW_MS,
    PRUNE_EVERY_MS,
    NonceGuard,
    authorization,
    is_prunable,
)
from open_inspect_modal.store import MemoryKV
from open_inspect_modal.web import create_app

from .conftest import KEY, NOW, SignedClient, create_body, make_deps
from .test_auth import assert_401

NONCES = "open-inspect-nonces"


def start(fake, settings, clock) -> SignedClient:
    """A new instance of the web app (a new container, or the app after a restart or a
    redeploy): nothing in memory, the same Dicts."""
    return SignedClient(TestClient(create_app(make_deps(fake, settings, clock)), raise_server_exceptions=False),
                        clock)


def test_which_entries_are_prunable() -> None:
    assert not is_prunable(NOW, NOW)
    assert not is_prunable(NOW - KEEP_NONCES_MS, NOW)
    assert is_prunable(NOW - KEEP_NONCES_MS - 1, NOW)
    assert not is_prunable(NOW + MAX_SKEW_MS, NOW), "stamped in the future"
    assert KEEP_NONCES_MS > MAX_SKEW_MS, "never inside the window"
    for odd in ("1", None, {"ts": 1}, True, 1.5):
        assert not is_prunable(odd, NOW + 10 * KEEP_NONCES_MS), odd


def test_the_guard_prunes_at_its_first_check_and_then_every_interval() -> None:
    kv = MemoryKV()
    kv.data.update({"old": NOW - KEEP_NONCES_MS - 1, "recent": NOW - MAX_SKEW_MS, "odd": "x"})
    guard = NonceGuard(kv)
    assert guard.check_and_insert("new", NOW, NOW)
    assert kv.data == {"recent": NOW - MAX_SKEW_MS, "odd": "x", "new": NOW}
    # Not due yet: an old entry stays until the next prune.
    kv.data["old2"] = NOW - KEEP_NONCES_MS - 1
    assert guard.check_and_insert("n2", NOW + 1, NOW + PRUNE_EVERY_MS - 1)
    assert "old2" in kv.data
    later = NOW + PRUNE_EVERY_MS
    assert guard.check_and_insert("n3", later, later)
    assert "old2" not in kv.data and "recent" in kv.data
    assert guard.prune(NOW + KEEP_NONCES_MS + 1) == 2, "recent and new; n2 and n3 are younger"
    assert set(kv.data) == {"odd", "n2", "n3"}


def test_replay_is_refused_and_recorded_in_the_dict(api, fake) -> None:
    assert api.post("/v1/sandboxes", create_body(), nonce="c0ffee").status_code == 201
    assert_401(api.post("/v1/sandboxes", create_body(), nonce="c0ffee"), "replayed")
    assert len(fake.calls_to("Sandbox.create")) == 1
    assert fake.dicts[NONCES].data["c0ffee"] == NOW


def test_replay_is_refused_after_a_restart(fake, settings, clock) -> None:
    body = create_body()
    raw = json.dumps(body).encode()
    header = authorization(KEY, "POST", "/v1/sandboxes", "", raw, NOW, "feed")
    headers = {"authorization": header, "content-type": "application/json"}
    first = start(fake, settings, clock)
    assert first.http.post("/v1/sandboxes", content=raw, headers=headers).status_code == 201
    del first

    # The provider restarts (or is redeployed) four minutes later: the captured request, sent
    # again with the same Authorization header, is still inside the window, and still refused.
    clock.now = NOW + 4 * 60 * 1000
    second = start(fake, settings, clock)
    assert_401(second.http.post("/v1/sandboxes", content=raw, headers=headers), "already used")
    assert len(fake.calls_to("Sandbox.create")) == 1
    # A fresh request to the restarted app is accepted.
    fresh = second.get("/v1/sandboxes/" + body["sandbox_id"])
    assert fresh.status_code == 200, fresh.text


def test_old_entries_are_pruned_at_start_and_periodically(fake, settings, clock) -> None:
    api = start(fake, settings, clock)
    assert api.get("/v1/sandboxes/none", nonce="aa").status_code == 404
    nonces = fake.dicts[NONCES]
    nonces.put("stale", NOW - KEEP_NONCES_MS - 1)
    assert api.get("/v1/sandboxes/none", nonce="bb").status_code == 404
    assert len(fake.calls_to("Dict.items")) == 1, "pruned once, not on every request"
    assert "stale" in nonces.data

    # A restarted app prunes at its first request; entries within twice the window stay.
    clock.now = NOW + KEEP_NONCES_MS
    restarted = start(fake, settings, clock)
    assert restarted.get("/v1/sandboxes/none", nonce="cc").status_code == 404
    assert set(nonces.data) == {"aa", "bb", "cc"}

    # And again once the interval has passed: aa and bb are now old enough to go.
    clock.now = NOW + KEEP_NONCES_MS + PRUNE_EVERY_MS + 1
    assert restarted.get("/v1/sandboxes/none", nonce="dd").status_code == 404
    assert set(nonces.data) == {"cc", "dd"}
    assert sorted(key for (_, key), _ in fake.calls_to("Dict.pop")) == ["aa", "bb", "stale"]


def test_a_failed_prune_does_not_fail_the_request(fake, settings, clock) -> None:
    api = start(fake, settings, clock)
    fake.dicts[NONCES].fail_items = RuntimeError("Modal is having a moment")
    assert api.get("/v1/sandboxes/none", nonce="aa").status_code == 404
    assert_401(api.get("/v1/sandboxes/none", nonce="aa"), "already used")


def test_the_nonce_dict_name_is_configurable(fake, clock) -> None:
    settings = Settings(provider_key=KEY, allowed_hosts=("cp.example.com",), nonce_dict="staging-nonces")
    api = start(fake, settings, clock)
    assert api.get("/v1/sandboxes/none", nonce="ab").status_code == 404
    assert fake.dicts["staging-nonces"].data == {"ab": NOW}
    assert NONCES not in fake.dicts
    assert_401(start(fake, settings, clock).get("/v1/sandboxes/none", nonce="ab"), "already used")
