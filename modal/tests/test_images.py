"""Repo images: a build sandbox in `build` mode; collected on GET when its supervisor exits."""

from __future__ import annotations

import json

from open_inspect_modal import layout
from open_inspect_modal.images import BUILD_SCRIPT, tail

from .conftest import APP, NOW, create_body

IMG = "img_01"


def build_body(**changes):
    body = {"image_id": IMG, "repo": "https://github.com/acme/app.git", "branch": "main",
            "build_token": "btok", "env": {"NPM_TOKEN": "n"}}
    body.update(changes)
    return body


def start(api, fake):
    response = api.post("/v1/images", build_body())
    assert response.status_code == 202, response.text
    assert response.json() == {"image_id": IMG, "repo": "https://github.com/acme/app.git", "branch": "main",
                               "status": "building", "created_at": NOW, "runtime_generation": 1}
    return fake.only_sandbox()


def finish(sandbox, code: int, log: str, image_json: str | None = None) -> None:
    """What BUILD_SCRIPT leaves when the supervisor exits."""
    files = sandbox.filesystem.files
    files[layout.BUILD_LOG_TAIL] = log[-layout.LOG_TAIL_BYTES:]
    if image_json is not None:
        files[layout.IMAGE_FILE] = image_json
    files[layout.BUILD_EXIT] = f"{code}\n"


def test_a_build_runs_the_supervisor_in_build_mode(api, fake) -> None:
    sandbox = start(api, fake)
    [(args, kwargs)] = fake.calls_to("Sandbox.create")
    assert args == ("/bin/sh", "-c", BUILD_SCRIPT, "oi-build", layout.AGENT_BIN)
    assert kwargs["app"] is APP and kwargs["image"] is fake.images["im-base"]
    assert kwargs["timeout"] == 3600 and kwargs["workdir"] == "/workspace"
    assert kwargs["tags"] == {"oi_image": IMG, "oi_kind": "image-build"}
    env = kwargs["env"]
    assert env["OPENINSPECT_BOOT_MODE"] == "build"
    assert env["OI_CONTROL_PLANE_URL"] == "", "a build connects to no control plane"
    assert "OI_AGENT_CONFIG" not in env and "OI_REPO_AUTH" not in env and "OI_POOL" not in env
    assert env["OI_REPO_URL"] == "https://github.com/acme/app.git" and env["OI_BRANCH"] == "main"
    assert env["NPM_TOKEN"] == "n"
    assert fake.dicts["open-inspect-images"].data[IMG]["build_sandbox"] == sandbox.object_id


def test_building_then_ready_with_the_image_id(api, fake, clock) -> None:
    sandbox = start(api, fake)
    assert api.get(f"/v1/images/{IMG}").json()["status"] == "building"
    assert fake.calls_to("snapshot_filesystem") == []
    clock.now += 90_000
    finish(sandbox, 0, "cloned\nsetup ok\n", json.dumps({"base_sha": "abc123"}))
    info = api.get(f"/v1/images/{IMG}").json()
    assert info["status"] == "ready", info
    assert info["base_sha"] == "abc123" and info["finished_at"] == NOW + 90_000
    assert info["log_tail"] == "cloned\nsetup ok\n"
    [(snap_args, snap_kwargs)] = fake.calls_to("snapshot_filesystem")
    assert snap_args == (sandbox.object_id,) and snap_kwargs == {"timeout": 300, "ttl": 30 * 24 * 3600}
    assert sandbox.terminated, "the build sandbox is stopped once its filesystem is kept"
    modal_image = fake.dicts["open-inspect-images"].data[IMG]["modal_image_id"]
    assert modal_image in fake.images
    # Polling again asks Modal nothing more.
    calls = len(fake.calls)
    assert api.get(f"/v1/images/{IMG}").json() == info
    assert len(fake.calls) == calls

    # A sandbox from the image boots in repo_image mode from that Modal image.
    response = api.post("/v1/sandboxes", create_body(sandbox_id="sbx_img", image_id=IMG))
    assert response.status_code == 201, response.text
    (_, kwargs) = fake.calls_to("Sandbox.create")[-1]
    assert kwargs["image"] is fake.images[modal_image]
    assert kwargs["env"]["OPENINSPECT_BOOT_MODE"] == "repo_image"


def test_building_then_failed_with_the_log_tail(api, fake) -> None:
    sandbox = start(api, fake)
    log = "x" * 20_000 + "\nsetup.sh: npm ERR! missing script\n"
    finish(sandbox, 1, log)
    info = api.get(f"/v1/images/{IMG}").json()
    assert info["status"] == "failed"
    assert "exited with 1" in info["error"]
    assert info["log_tail"].endswith("npm ERR! missing script\n")
    assert len(info["log_tail"].encode()) == 16 * 1024
    assert fake.calls_to("snapshot_filesystem") == [] and sandbox.terminated
    response = api.post("/v1/sandboxes", create_body(sandbox_id="sbx_img", image_id=IMG))
    assert response.status_code == 409 and "failed" in response.json()["error"]["message"]


def test_exit_0_without_image_json_fails(api, fake) -> None:
    finish(start(api, fake), 0, "done\n")
    info = api.get(f"/v1/images/{IMG}").json()
    assert info["status"] == "failed" and "image.json" in info["error"]
    assert fake.calls_to("snapshot_filesystem") == []


def test_a_build_sandbox_that_died_fails_the_build(api, fake) -> None:
    start(api, fake).exit(137)
    info = api.get(f"/v1/images/{IMG}").json()
    assert info["status"] == "failed" and "137" in info["error"]


def test_delete_is_idempotent_and_stops_a_running_build(api, fake) -> None:
    sandbox = start(api, fake)
    first = api.delete(f"/v1/images/{IMG}")
    assert first.status_code == 200 and first.json()["status"] == "deleted"
    assert sandbox.terminated
    assert api.delete(f"/v1/images/{IMG}").json()["status"] == "deleted"
    assert len(fake.calls_to("terminate")) == 1
    assert api.get("/v1/images/img_none").status_code == 404
    assert api.delete("/v1/images/img_none").status_code == 404


def test_conflicts_and_refusals(api, fake) -> None:
    start(api, fake)
    assert api.post("/v1/images", build_body()).status_code == 409
    assert api.post("/v1/images", build_body(image_id="img_2", repo="/srv/app.git")).status_code == 400
    reserved = api.post("/v1/images", build_body(image_id="img_3", env={"OI_BRANCH": "x"}))
    assert reserved.status_code == 400 and "OI_BRANCH" in reserved.json()["error"]["message"]
    unknown = api.post("/v1/sandboxes", create_body(image_id="img_unknown"))
    assert unknown.status_code == 404
    building = api.post("/v1/sandboxes", create_body(image_id=IMG))
    assert building.status_code == 409 and "building" in building.json()["error"]["message"]
    assert len(fake.calls_to("Sandbox.create")) == 1


def test_one_container_collects_at_a_time(api, fake, deps) -> None:
    sandbox = start(api, fake)
    finish(sandbox, 0, "ok\n", '{"base_sha": "abc"}')
    deps.stores.images.put(f"finalize/{IMG}", deps.now_ms())  # another container holds the lock
    assert api.get(f"/v1/images/{IMG}").json()["status"] == "building"
    assert fake.calls_to("snapshot_filesystem") == []
    deps.now_ms.now += 11 * 60 * 1000  # its container died: the lock goes stale
    assert api.get(f"/v1/images/{IMG}").json()["status"] == "ready"


def test_tail_keeps_whole_characters() -> None:
    assert tail(None) is None
    text = "é" * 10_000  # two bytes each
    kept = tail(text)
    assert kept is not None and len(kept.encode()) <= 16 * 1024 and set(kept) == {"é"}


def test_the_build_script_records_log_tail_and_exit_code(tmp_path) -> None:
    """Runs the real script under /bin/sh with a stand-in supervisor."""
    import subprocess

    from open_inspect_modal.images import build_script

    agent = tmp_path / "agent"
    agent.write_text("#!/bin/sh\nhead -c 20000 /dev/zero | tr '\\0' 'a'\necho 'setup failed' >&2\nexit 7\n")
    agent.chmod(0o755)
    out = tmp_path / "build"
    done = subprocess.run(["/bin/sh", "-c", build_script(str(out), linger="true"), "oi-build", str(agent)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert (out / "exit").read_text() == "7\n" and not (out / "exit.tmp").exists()
    tail_text = (out / "log.tail").read_text()
    assert len(tail_text) == 16 * 1024 and tail_text.endswith("a" * 100 + "setup failed\n")
    assert (out / "log").stat().st_size == 20000 + len("setup failed\n")


def test_a_build_whose_creation_never_finished_fails(api, deps, clock) -> None:
    from open_inspect_modal.contract import ImageInfo, ImageStatus
    from open_inspect_modal.store import ImageRecord

    info = ImageInfo(image_id="img_lost", repo="r", branch="b", status=ImageStatus.BUILDING,
                     created_at=clock.now, runtime_generation=1)
    deps.stores.images.put("img_lost", ImageRecord(info=info).to_dict())
    assert api.get("/v1/images/img_lost").json()["status"] == "building"
    clock.now += 11 * 60 * 1000
    assert api.get("/v1/images/img_lost").json()["status"] == "failed"
