"""The sandbox routes, checked by what they asked the fake Modal to do."""

from __future__ import annotations

import json

import pytest

from open_inspect_modal import layout
from open_inspect_modal.env import RESERVED

from .conftest import APP, CONTROL_PLANE, NOW, agent, create_body
from .fake_modal import InternalError

SBX = "sbx_01a2097d6ef18c35b98826804d86"
SES = "ses_01a2097d6e327c0f7f1a16ec7c15"

CONTRACT_ENV = {
    "OI_SESSION_ID": SES,
    "OI_SANDBOX_ID": SBX,
    "OI_SANDBOX_TOKEN_ON_STDIN": "1",
    "OI_CONTROL_PLANE_URL": CONTROL_PLANE,
    "OI_REPO_URL": "https://github.com/acme/app.git",
    "OI_BRANCH": "main",
    "OI_WORKSPACE": "/workspace",
    "OI_STATE_DIR": "/oi/state",
    "OPENINSPECT_BOOT_MODE": "fresh",
    "OI_OPENCODE_BIN": "/opt/opencode/lib/node_modules/opencode-linux-x64/bin/opencode",
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/oi/state/home",
    "PWD": "/workspace",
    "DATABASE_URL": "postgres://db",
}


def created(api, **changes):
    response = api.post("/v1/sandboxes", create_body(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    return response.json()["error"]["message"]


def test_create_asks_modal_for_the_supervisor_with_the_contract_env(api, fake) -> None:
    info = created(api)
    assert info == {"sandbox_id": SBX, "session_id": SES, "status": "running", "created_at": NOW}
    [(args, kwargs)] = fake.calls_to("Sandbox.create")
    assert args == (layout.AGENT_BIN,)
    env = kwargs.pop("env")
    assert kwargs == {
        "app": APP,
        "image": fake.images["im-base"],
        "timeout": 4 * 3600,
        "workdir": "/workspace",
        "tags": {"oi_session": SES, "oi_sandbox": SBX},
    }
    agent_config = json.loads(env.pop("OI_AGENT_CONFIG"))
    assert agent_config == agent()
    assert env == CONTRACT_ENV, "exactly the contract, the base and the request's env"
    assert "OI_REPO_AUTH" not in env and "OI_POOL" not in env
    assert not any("KEY" in name for name in env), "the provider key never reaches a sandbox"
    assert "d326a0e5" not in " ".join(args), "the token is not on the command line"
    # The contract id → Modal id mapping is in the durable Dict.
    record = fake.dicts["open-inspect-sandboxes"].data[SBX]
    assert record["modal_id"] == fake.only_sandbox().object_id


def test_reserved_names_are_refused_naming_the_variable(api, fake) -> None:
    for name in RESERVED:
        response = api.post("/v1/sandboxes", create_body(env={name: "x"}))
        assert name in error(response, 400, "invalid_request")
    assert name in RESERVED and "OI_POOL" in RESERVED and "OI_REPO_AUTH" in RESERVED
    assert fake.calls_to("Sandbox.create") == []


@pytest.mark.parametrize("repo", ["/srv/git/app.git", "file:///srv/git/app.git"])
def test_local_repositories_are_refused(api, fake, repo) -> None:
    assert "local path" in error(api.post("/v1/sandboxes", create_body(repo=repo)), 400, "invalid_request")
    assert fake.calls_to("Sandbox.create") == []


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com", "http://169.254.169.254", "http://127.0.0.1:9999", "ftp://cp.example.com"],
)
def test_control_planes_outside_the_allowlist_are_refused(api, fake, url) -> None:
    message = error(api.post("/v1/sandboxes", create_body(control_plane_url=url)), 400, "invalid_request")
    assert "control_plane_url" in message
    assert fake.calls_to("Sandbox.create") == []


def test_allowed_host_with_port(api) -> None:
    assert created(api, control_plane_url="http://127.0.0.1:8787")["status"] == "running"


def test_bad_json_and_bad_fields(api, fake) -> None:
    error(api.post("/v1/sandboxes", b"{nope"), 400, "bad_json")
    assert "sandbox_token" in error(api.post("/v1/sandboxes", {"session_id": "s"}), 400, "invalid_request")
    assert "boot_mode" in error(api.post("/v1/sandboxes", create_body(boot_mode="turbo")), 400, "invalid_request")
    assert "sandbox_id" in error(api.post("/v1/sandboxes", create_body(sandbox_id="../x")), 400, "invalid_request")
    message = error(api.post("/v1/sandboxes", create_body(boot_mode="snapshot_restore")), 400, "invalid_request")
    assert "restore" in message
    assert fake.calls_to("Sandbox.create") == []


def test_a_work_branch_reaches_the_supervisor(api, fake) -> None:
    created(api, branch="feature/login", work_branch="feature/login")
    [(_, kwargs)] = fake.calls_to("Sandbox.create")
    assert (kwargs["env"]["OI_BRANCH"], kwargs["env"]["OI_WORK_BRANCH"]) == ("feature/login", "feature/login")


@pytest.mark.parametrize("branch", ["", "-f", "a..b", "refs/heads/x", "a b", "a\nb", "x.lock", "HEAD:main"])
def test_an_unsafe_work_branch_is_refused(api, fake, branch) -> None:
    message = error(api.post("/v1/sandboxes", create_body(work_branch=branch)), 400, "invalid_request")
    assert "work_branch" in message
    assert fake.calls_to("Sandbox.create") == []


def test_a_pool_sandbox_has_no_work_branch(api, fake) -> None:
    message = error(api.post("/v1/sandboxes", create_body(pool=True, work_branch="feature")), 400, "invalid_request")
    assert "warm-pool" in message
    assert fake.calls_to("Sandbox.create") == []


def test_an_existing_id_is_a_conflict(api, fake) -> None:
    created(api)
    error(api.post("/v1/sandboxes", create_body()), 409, "conflict")
    assert len(fake.calls_to("Sandbox.create")) == 1


def test_a_modal_failure_is_a_500_and_frees_the_id(api, fake) -> None:
    fake.fail_create = InternalError("no capacity")
    assert "no capacity" in error(api.post("/v1/sandboxes", create_body()), 500, "internal")
    fake.fail_create = None
    assert created(api)["status"] == "running"


def test_the_token_goes_on_stdin_or_the_sandbox_is_ended(api, fake) -> None:
    created(api)
    sandbox = fake.only_sandbox()
    assert "OI_SANDBOX_TOKEN" not in sandbox.kwargs["env"]
    assert (sandbox.stdin.written, sandbox.stdin.closed) == ("d326a0e5\n", True)
    fake.fail_stdin = InternalError("stream closed")
    body = create_body(sandbox_id="sbx_2")
    assert "stream closed" in error(api.post("/v1/sandboxes", body), 500, "internal")
    unreached = [s for s in fake.sandboxes.values() if s is not sandbox]
    assert len(unreached) == 1 and unreached[0].terminated, "a sandbox without its token is ended"
    fake.fail_stdin = None
    assert created(api, sandbox_id="sbx_2")["status"] == "running", "and its id is free again"


def test_status_follows_modal_and_terminate_is_idempotent(api, fake) -> None:
    created(api)
    sandbox = fake.only_sandbox()
    assert api.get(f"/v1/sandboxes/{SBX}").json()["status"] == "running"
    assert fake.calls_to("Sandbox.from_id")[-1][0] == (sandbox.object_id,)
    sandbox.exit(3)
    assert api.get(f"/v1/sandboxes/{SBX}").json() == {
        "sandbox_id": SBX, "session_id": SES, "status": "exited", "created_at": NOW, "exit_code": 3,
    }
    first = api.delete(f"/v1/sandboxes/{SBX}")
    assert first.status_code == 200 and first.json()["status"] == "terminated"
    second = api.delete(f"/v1/sandboxes/{SBX}")
    assert second.status_code == 200 and second.json()["status"] == "terminated"
    assert fake.calls_to("terminate") == [((sandbox.object_id,), {"wait": True})], "Modal is asked once"
    assert api.get(f"/v1/sandboxes/{SBX}").json()["status"] == "terminated"


def test_a_sandbox_modal_forgot_has_exited(api, fake) -> None:
    created(api)
    fake.sandboxes.clear()
    body = api.get(f"/v1/sandboxes/{SBX}").json()
    assert body["status"] == "exited" and "no longer" in body["message"]
    assert api.delete(f"/v1/sandboxes/{SBX}").json()["status"] == "terminated"


def test_unknown_ids_are_404(api) -> None:
    for response in (
        api.get("/v1/sandboxes/sbx_nope"),
        api.delete("/v1/sandboxes/sbx_nope"),
        api.post("/v1/sandboxes/sbx_nope/snapshot"),
        api.post("/v1/sandboxes/sbx_nope/claim", {"session_id": "s", "sandbox_token": "t",
                 "control_plane_url": CONTROL_PLANE, "branch": "main", "agent": agent()}),
    ):
        assert "sbx_nope" in error(response, 404, "not_found")
    assert error(api.get("/v1/nowhere"), 404, "not_found") == "no such route"
    error(api.request("PUT", "/v1/sandboxes"), 405, "method_not_allowed")


def test_snapshot_then_restore_from_the_image(api, fake) -> None:
    created(api)
    original = fake.only_sandbox()
    original.filesystem.files["/workspace/uncommitted.txt"] = "work in progress"
    response = api.post(f"/v1/sandboxes/{SBX}/snapshot")
    assert response.status_code == 201, response.text
    snap = response.json()
    assert fake.calls_to("snapshot_filesystem") == [((original.object_id,), {"timeout": 300, "ttl": 30 * 24 * 3600})]
    assert snap == {
        "snapshot_id": snap["snapshot_id"], "sandbox_id": SBX, "session_id": SES, "created_at": NOW,
        "runtime_version": "0.1.0", "runtime_generation": 1,
    }
    assert snap["snapshot_id"].startswith("im-") and snap["snapshot_id"] in fake.images
    api.delete(f"/v1/sandboxes/{SBX}")

    body = {"snapshot_id": snap["snapshot_id"], "sandbox": create_body(sandbox_id="sbx_2", sandbox_token="new")}
    response = api.post("/v1/sandboxes/restore", body)
    assert response.status_code == 201, response.text
    assert response.json()["sandbox_id"] == "sbx_2"
    assert fake.calls_to("Image.from_id")[-1][0] == (snap["snapshot_id"],)
    (_, kwargs) = fake.calls_to("Sandbox.create")[-1]
    assert kwargs["image"] is fake.images[snap["snapshot_id"]]
    assert kwargs["env"]["OPENINSPECT_BOOT_MODE"] == "snapshot_restore"
    assert "OI_SANDBOX_TOKEN" not in kwargs["env"]
    restored = fake.sandboxes[fake.dicts["open-inspect-sandboxes"].data["sbx_2"]["modal_id"]]
    assert (restored.stdin.written, restored.stdin.closed) == ("new\n", True), "the token on stdin only"
    assert restored.filesystem.files["/workspace/uncommitted.txt"] == "work in progress"


def test_snapshot_of_a_stopped_sandbox_is_a_conflict_and_unknown_snapshots_404(api, fake) -> None:
    created(api)
    fake.only_sandbox().exit(0)
    assert "exited" in error(api.post(f"/v1/sandboxes/{SBX}/snapshot"), 409, "conflict")
    body = {"snapshot_id": "im-missing", "sandbox": create_body(sandbox_id="sbx_2")}
    assert "im-missing" in error(api.post("/v1/sandboxes/restore", body), 404, "not_found")
    assert api.get("/v1/sandboxes/sbx_2").status_code == 404, "the failed restore left no record"


def test_state_survives_a_new_container(api, fake, settings, clock) -> None:
    from fastapi.testclient import TestClient

    from open_inspect_modal.web import create_app

    from .conftest import SignedClient, make_deps

    created(api)
    other = SignedClient(TestClient(create_app(make_deps(fake, settings, clock))), clock)
    assert other.get(f"/v1/sandboxes/{SBX}").json()["status"] == "running"
    error(other.post("/v1/sandboxes", create_body()), 409, "conflict")


def test_without_a_built_sandbox_image_create_says_how_to_build_it(api, fake, deps) -> None:
    deps.stores.config.pop("sandbox_image_id")
    assert "build_image" in error(api.post("/v1/sandboxes", create_body()), 500, "internal")
    assert fake.calls_to("Sandbox.create") == []
    assert api.get(f"/v1/sandboxes/{SBX}").status_code == 404, "the id is free again"
