"""`GET /v1/health` is unsigned and declares what this provider can do."""

from __future__ import annotations

from fastapi.testclient import TestClient

from open_inspect_modal import __version__
from open_inspect_modal.settings import Settings
from open_inspect_modal.web import create_app

from .conftest import make_deps


def test_health_is_unsigned_and_declares_capabilities(api, fake) -> None:
    response = api.http.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "provider": "modal",
        "version": __version__,
        "capabilities": {"snapshot": True, "restore": True, "persistent_resume": False,
                         "images": True, "warm_pool": True, "network_isolation": False},
    }
    assert fake.calls_to("Sandbox.from_id") == [] and fake.dicts["open-inspect-nonces"].data == {}


def test_health_is_not_ok_without_key_or_allowlist(fake, clock) -> None:
    for settings in (
        Settings(provider_key=None, allowed_hosts=("h",)),
        Settings(provider_key=b"k", allowed_hosts=None),
    ):
        client = TestClient(create_app(make_deps(fake, settings, clock)))
        assert client.get("/v1/health").json()["ok"] is False
