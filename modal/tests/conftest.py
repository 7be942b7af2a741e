from __future__ import annotations

import json
import secrets
from typing import Any, Optional

import pytest
from fastapi.testclient import TestClient

from open_inspect_modal.deps import Deps
from open_inspect_modal.settings import Settings
from open_inspect_modal.signing import authorization
from open_inspect_modal.store import RUNTIME_VERSION, SANDBOX_IMAGE_ID
from open_inspect_modal.web import create_app

from .fake_modal import FakeModal

KEY = b"test-key"
NOW = 1_795_455_544_882
CONTROL_PLANE = "https://cp.example.com"
APP = object()  # stands in for the modal.App passed as `app=`


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


class SignedClient:
    """Calls the app as the control plane does: every request signed with a fresh nonce."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.http = client
        self.clock = clock

    def request(self, method: str, path: str, body: Any = None, *, query: str = "",
                ts: Optional[int] = None, nonce: Optional[str] = None, key: bytes = KEY,
                signed_path: Optional[str] = None, signed_body: Optional[bytes] = None,
                signed_query: Optional[str] = None) -> Any:
        raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        ts = self.clock.now if ts is None else ts
        nonce = nonce or secrets.token_hex(16)
        header = authorization(key, method, signed_path or path,
                               query if signed_query is None else signed_query,
                               raw if signed_body is None else signed_body, ts, nonce)
        url = f"{path}?{query}" if query else path
        return self.http.request(method, url, content=raw,
                                 headers={"authorization": header, "content-type": "application/json"})

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def fake() -> FakeModal:
    return FakeModal()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> Settings:
    return Settings(provider_key=KEY, allowed_hosts=("cp.example.com", "127.0.0.1:8787"))


def make_deps(fake: FakeModal, settings: Settings, clock: Clock) -> Deps:
    deps = Deps.connect(fake, APP, settings)
    deps.now_ms = clock
    deps.stores.config.put(SANDBOX_IMAGE_ID, "im-base")
    deps.stores.config.put(RUNTIME_VERSION, "0.1.0")
    return deps


@pytest.fixture
def deps(fake: FakeModal, settings: Settings, clock: Clock) -> Deps:
    return make_deps(fake, settings, clock)


@pytest.fixture
def api(deps: Deps, clock: Clock) -> SignedClient:
    return SignedClient(TestClient(create_app(deps), raise_server_exceptions=False), clock)


def agent() -> dict[str, Any]:
    return {
        "model": "scripted/test-model",
        "providers": [
            {"id": "scripted", "api": "openai_compatible", "base_url": "http://127.0.0.1:8790/v1",
             "test_model": True}
        ],
    }


def create_body(**changes: Any) -> dict[str, Any]:
    body = {
        "session_id": "ses_01a2097d6e327c0f7f1a16ec7c15",
        "sandbox_id": "sbx_01a2097d6ef18c35b98826804d86",
        "repo": "https://github.com/acme/app.git",
        "branch": "main",
        "control_plane_url": CONTROL_PLANE,
        "sandbox_token": "d326a0e5",
        "agent": agent(),
        "env": {"DATABASE_URL": "postgres://db"},
        "boot_mode": "fresh",
    }
    body.update(changes)
    return body
