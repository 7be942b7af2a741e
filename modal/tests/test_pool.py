"""Warm pools: a pool sandbox boots with OI_POOL=1, and a claim hands it to a session by
writing claim.json into it atomically."""

from __future__ import annotations

import json

from open_inspect_modal import layout

from .conftest import CONTROL_PLANE, create_body

POOL = "sbx_pool_1"


def claim_body(**changes):
    body = {
        "session_id": "ses_claimer",
        "sandbox_token": "fresh-token",
        "control_plane_url": CONTROL_PLANE,
        "branch": "main",
        "agent": {"model": "openai/gpt-x", "providers": [
            {"id": "openai", "api": "openai_compatible", "base_url": "https://api.openai.com/v1", "api_key": "sk"}]},
    }
    body.update(changes)
    return body


def start_pool(api, fake):
    response = api.post("/v1/sandboxes", create_body(sandbox_id=POOL, session_id="pool-main", pool=True))
    assert response.status_code == 201, response.text
    return fake.only_sandbox()


def test_a_pool_sandbox_boots_with_oi_pool(api, fake) -> None:
    sandbox = start_pool(api, fake)
    env = sandbox.kwargs["env"]
    assert env["OI_POOL"] == "1"
    assert env["OI_SESSION_ID"] == "pool-main", "the pool's name until it is claimed"


def test_claim_writes_claim_json_atomically(api, fake) -> None:
    sandbox = start_pool(api, fake)
    body = claim_body()
    response = api.post(f"/v1/sandboxes/{POOL}/claim", body)
    assert response.status_code == 200, response.text
    assert response.json()["session_id"] == "ses_claimer"
    assert response.json()["status"] == "running"

    # Written whole to a temporary name beside claim.json, then renamed over it.
    [(write_args, _)] = fake.calls_to("filesystem.write_text")
    _, data, tmp = write_args
    assert tmp.startswith(layout.CLAIM_FILE + ".tmp-") and tmp.rsplit("/", 1)[0] == layout.STATE_DIR
    # The ClaimSandbox as serde writes it: `test_model` has no skip, so false is spelled out.
    expected = json.loads(json.dumps(body))
    expected["agent"]["providers"][0]["test_model"] = False
    assert json.loads(data) == expected
    [(exec_args, _)] = fake.calls_to("exec")
    assert exec_args == (sandbox.object_id, "mv", "-f", tmp, "/oi/state/claim.json")
    names = [name for name, _, _ in fake.calls]
    assert names.index("filesystem.write_text") < names.index("exec")
    assert json.loads(sandbox.filesystem.files["/oi/state/claim.json"]) == expected
    assert tmp not in sandbox.filesystem.files
    assert sandbox.tags == {"oi_session": "ses_claimer", "oi_sandbox": POOL}
    # The sandbox now belongs to the session, in every container.
    assert api.get(f"/v1/sandboxes/{POOL}").json()["session_id"] == "ses_claimer"


def test_claim_is_once_only_and_for_pool_sandboxes(api, fake) -> None:
    start_pool(api, fake)
    assert api.post(f"/v1/sandboxes/{POOL}/claim", claim_body()).status_code == 200
    again = api.post(f"/v1/sandboxes/{POOL}/claim", claim_body(session_id="ses_other"))
    assert again.status_code == 409 and "already claimed" in again.json()["error"]["message"]

    api.post("/v1/sandboxes", create_body(sandbox_id="sbx_plain"))
    plain = api.post("/v1/sandboxes/sbx_plain/claim", claim_body())
    assert plain.status_code == 409 and "not a warm-pool" in plain.json()["error"]["message"]
    assert len(fake.calls_to("filesystem.write_text")) == 1


def test_claim_checks_branch_allowlist_and_liveness(api, fake) -> None:
    sandbox = start_pool(api, fake)
    wrong_branch = api.post(f"/v1/sandboxes/{POOL}/claim", claim_body(branch="dev"))
    assert wrong_branch.status_code == 409 and "branch" in wrong_branch.json()["error"]["message"]
    evil = api.post(f"/v1/sandboxes/{POOL}/claim", claim_body(control_plane_url="https://evil.example.com"))
    assert evil.status_code == 400
    sandbox.exit(1)
    dead = api.post(f"/v1/sandboxes/{POOL}/claim", claim_body())
    assert dead.status_code == 409 and "exited" in dead.json()["error"]["message"]
    assert fake.calls_to("filesystem.write_text") == []


def test_a_failed_move_is_a_500_and_the_claim_can_be_retried(api, fake, monkeypatch) -> None:
    sandbox = start_pool(api, fake)
    real_exec = sandbox.exec
    monkeypatch.setattr(sandbox, "exec", lambda *a, **k: type("P", (), {"wait": lambda self: 1})())
    failed = api.post(f"/v1/sandboxes/{POOL}/claim", claim_body())
    assert failed.status_code == 500 and "mv exited with 1" in failed.json()["error"]["message"]
    monkeypatch.setattr(sandbox, "exec", real_exec)
    assert api.post(f"/v1/sandboxes/{POOL}/claim", claim_body()).status_code == 200
