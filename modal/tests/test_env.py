"""The supervisor's environment, as plain functions (docs/sandbox-provider.md)."""

from __future__ import annotations

import json

import pytest

from open_inspect_modal.contract import BootMode, BuildImage, CreateSandbox
from open_inspect_modal.env import RESERVED, build_env, check_request_env, sandbox_env
from open_inspect_modal.errors import ApiError

from .conftest import create_body


def request(**changes) -> CreateSandbox:
    return CreateSandbox.model_validate_json(json.dumps(create_body(**changes)))


def test_contract_names_are_exactly_the_documented_ones() -> None:
    documented = {
        "OI_SESSION_ID", "OI_SANDBOX_ID", "OI_SANDBOX_TOKEN", "OI_SANDBOX_TOKEN_ON_STDIN", "OI_CONTROL_PLANE_URL",
        "OI_REPO_URL",
        "OI_REPO_AUTH", "OI_BRANCH", "OI_WORK_BRANCH", "OI_WORKSPACE", "OI_STATE_DIR", "OPENINSPECT_BOOT_MODE",
        "OI_OPENCODE_BIN", "OI_AGENT_CONFIG", "OI_POOL", "OI_CLAIM_FD", "OI_NETWORK_GATEWAY",
    }
    assert set(RESERVED) == documented


def test_request_env_overrides_the_base_but_not_the_contract() -> None:
    env = sandbox_env(request(env={"PATH": "/opt/bin", "LANG": "fr_FR.UTF-8", "HOME": "/h"}), BootMode.FRESH)
    assert (env["PATH"], env["LANG"], env["HOME"]) == ("/opt/bin", "fr_FR.UTF-8", "/h")
    assert env["PWD"] == "/workspace", "PWD always names the workspace"
    for name in RESERVED:
        with pytest.raises(ApiError) as e:
            sandbox_env(request(env={name: "x"}), BootMode.FRESH)
        assert e.value.status == 400 and name in e.value.message


def test_timeouts_may_come_from_the_request() -> None:
    env = sandbox_env(request(env={"SETUP_TIMEOUT_SECONDS": "900"}), BootMode.FRESH)
    assert env["SETUP_TIMEOUT_SECONDS"] == "900"
    assert "START_TIMEOUT_SECONDS" not in env, "absent means the supervisor's default"


@pytest.mark.parametrize("name", ["", "1X", "A=B", "A B", "A\0", "é"])
def test_bad_names_are_refused(name) -> None:
    with pytest.raises(ApiError) as e:
        check_request_env({name: "x"})
    assert e.value.code == "invalid_request"


def test_nul_values_are_refused() -> None:
    with pytest.raises(ApiError) as e:
        check_request_env({"X": "a\0b"})
    assert "NUL" in e.value.message


def test_agent_config_is_the_request_agent_as_serde_json() -> None:
    env = sandbox_env(request(), BootMode.SNAPSHOT_RESTORE)
    assert env["OPENINSPECT_BOOT_MODE"] == "snapshot_restore"
    assert json.loads(env["OI_AGENT_CONFIG"]) == create_body()["agent"]


def test_pool_sets_oi_pool() -> None:
    assert sandbox_env(request(pool=True), BootMode.FRESH)["OI_POOL"] == "1"
    assert "OI_POOL" not in sandbox_env(request(), BootMode.FRESH)


def test_work_branch_sets_oi_work_branch() -> None:
    assert sandbox_env(request(work_branch="feature/x"), BootMode.FRESH)["OI_WORK_BRANCH"] == "feature/x"
    assert "OI_WORK_BRANCH" not in sandbox_env(request(), BootMode.FRESH)


def test_build_env() -> None:
    req = BuildImage(image_id="img_1", repo="https://h/r.git", branch="main", build_token="b", env={"A": "1"})
    env = build_env(req)
    assert env["OPENINSPECT_BOOT_MODE"] == "build" and env["OI_CONTROL_PLANE_URL"] == ""
    assert env["OI_SESSION_ID"] == env["OI_SANDBOX_ID"] == "img_1" and env["OI_SANDBOX_TOKEN_ON_STDIN"] == "1"
    assert "OI_SANDBOX_TOKEN" not in env, "the build token goes on stdin"
    assert set(env) - set(RESERVED) == {"PATH", "LANG", "HOME", "PWD", "A"}
    assert not {"OI_AGENT_CONFIG", "OI_POOL", "OI_REPO_AUTH"} & set(env)
