"""What the sandbox routes do, as calls to Modal:

| route | Modal |
|---|---|
| `POST /v1/sandboxes` | `Sandbox.create(sandbox-agent, image=<base or Image.from_id(repo image)>, …)` |
| `GET /v1/sandboxes/:id` | `Sandbox.from_id(sb-…).poll()` |
| `DELETE /v1/sandboxes/:id` | `Sandbox.from_id(sb-…).terminate(wait=True)` (once) |
| `POST /v1/sandboxes/:id/snapshot` | `.snapshot_filesystem()`; its image id is the snapshot id |
| `POST /v1/sandboxes/restore` | `Sandbox.create(…, image=Image.from_id(snapshot_id))`, `snapshot_restore` |
| `POST /v1/sandboxes/:id/claim` | `.filesystem.write_text(claim.json.tmp)`, `.exec("mv", …)` |
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Optional

from . import layout
from .contract import (
    RUNTIME_GENERATION,
    BootMode,
    ClaimSandbox,
    CreateSandbox,
    ImageStatus,
    RestoreSandbox,
    SandboxInfo,
    SnapshotInfo,
    wire,
)
from .deps import Deps
from .env import sandbox_env
from .errors import ApiError, conflict, internal, invalid, not_found
from .status import GONE, is_not_found, sandbox_info
from .store import ImageRecord, SandboxRecord, claim_key
from .validation import check_control_plane_url, check_id, check_present, check_repo, check_work_branch


def validate_create(req: CreateSandbox, deps: Deps) -> None:
    check_id("sandbox_id", req.sandbox_id)
    check_id("session_id", req.session_id)
    check_present(
        [
            ("repo", req.repo),
            ("branch", req.branch),
            ("control_plane_url", req.control_plane_url),
            ("sandbox_token", req.sandbox_token),
        ]
    )
    check_repo(req.repo)
    if req.image_id is not None:
        check_id("image_id", req.image_id)
    if req.work_branch is not None:
        check_work_branch(req.work_branch)
        if req.pool:
            raise invalid("work_branch is not for a warm-pool sandbox (a claim gives it a session on oi/<id>)")
    check_control_plane_url(req.control_plane_url, deps.settings.allowed_hosts)


def boot_mode_for(req: CreateSandbox, from_snapshot: bool) -> BootMode:
    """A restore always boots `snapshot_restore`; `image_id` means `repo_image`; otherwise
    `fresh`. Build sandboxes come from `POST /v1/images`."""
    if from_snapshot:
        return BootMode.SNAPSHOT_RESTORE
    if req.image_id is not None:
        if req.boot_mode not in (BootMode.FRESH, BootMode.REPO_IMAGE):
            raise invalid(f"boot_mode {req.boot_mode.value} cannot start from image_id")
        return BootMode.REPO_IMAGE
    if req.boot_mode == BootMode.FRESH:
        return req.boot_mode
    hint = {
        BootMode.BUILD: "images are built with POST /v1/images",
        BootMode.REPO_IMAGE: "repo_image needs image_id",
        BootMode.SNAPSHOT_RESTORE: "restores go through POST /v1/sandboxes/restore",
    }[req.boot_mode]
    raise invalid(f"boot_mode {req.boot_mode.value} is not allowed here: {hint}")


def _record(deps: Deps, sandbox_id: str) -> SandboxRecord:
    value = deps.stores.sandboxes.get(sandbox_id)
    if value is None:
        raise not_found(f"sandbox {sandbox_id} does not exist")
    return SandboxRecord.from_dict(value)


def _save(deps: Deps, record: SandboxRecord) -> None:
    deps.stores.sandboxes.put(record.sandbox_id, record.to_dict())


def _repo_image(deps: Deps, image_id: str) -> Any:
    value = deps.stores.images.get(image_id)
    if value is None:
        raise not_found(f"image {image_id} does not exist")
    record = ImageRecord.from_dict(value)
    if record.info.status != ImageStatus.READY or not record.modal_image_id:
        raise conflict(f"image {image_id} is {record.info.status.value}, not ready")
    return deps.sdk.Image.from_id(record.modal_image_id)


def create(deps: Deps, req: CreateSandbox, snapshot_id: Optional[str] = None) -> SandboxInfo:
    """Starts a sandbox: from the base image, a repo image, or (restore) a snapshot."""
    validate_create(req, deps)
    boot_mode = boot_mode_for(req, snapshot_id is not None)
    env = sandbox_env(req, boot_mode)
    record = SandboxRecord(
        sandbox_id=req.sandbox_id,
        session_id=req.session_id,
        created_at=deps.now_ms(),
        branch=req.branch,
        pool=req.pool,
    )
    # Atomic across containers: the first create of an id wins, any other is a conflict.
    if not deps.stores.sandboxes.put(req.sandbox_id, record.to_dict(), skip_if_exists=True):
        raise conflict(f"sandbox {req.sandbox_id} already exists")
    try:
        if snapshot_id is not None:
            image = deps.sdk.Image.from_id(snapshot_id)
        elif req.image_id is not None:
            image = _repo_image(deps, req.image_id)
        else:
            image = deps.base_image()
        sandbox = deps.launch(
            [layout.AGENT_BIN],
            image=image,
            env=env,
            timeout=deps.settings.sandbox_timeout_s,
            tags={"oi_session": req.session_id, "oi_sandbox": req.sandbox_id},
            token=req.sandbox_token,
        )
    except Exception as e:
        deps.stores.sandboxes.pop(req.sandbox_id, None)
        if isinstance(e, ApiError):
            raise
        if snapshot_id is not None and is_not_found(e):
            raise not_found(f"snapshot {snapshot_id} does not exist") from e
        raise internal(f"Modal could not create the sandbox: {type(e).__name__}: {e}") from e
    record.modal_id = sandbox.object_id
    # A terminate may have come while Modal was creating it: honour it now.
    current = deps.stores.sandboxes.get(req.sandbox_id)
    if current is not None and SandboxRecord.from_dict(current).terminated:
        sandbox.terminate()
        record.terminated = True
    _save(deps, record)
    return sandbox_info(record, None, deps.now_ms())


def restore(deps: Deps, req: RestoreSandbox) -> SandboxInfo:
    check_id("snapshot_id", req.snapshot_id)
    return create(deps, req.sandbox, snapshot_id=req.snapshot_id)


def _poll(deps: Deps, record: SandboxRecord) -> tuple[Any, object]:
    """The Modal sandbox and its `poll()`, or `(None, GONE)` when Modal no longer knows it."""
    if record.modal_id is None or record.terminated:
        return None, None
    try:
        sandbox = deps.sdk.Sandbox.from_id(record.modal_id)
        return sandbox, sandbox.poll()
    except Exception as e:
        if is_not_found(e):
            return None, GONE
        raise


def show(deps: Deps, sandbox_id: str) -> SandboxInfo:
    record = _record(deps, sandbox_id)
    _, returncode = _poll(deps, record)
    return sandbox_info(record, returncode, deps.now_ms())


def terminate(deps: Deps, sandbox_id: str) -> SandboxInfo:
    """Idempotent: the first call terminates, every call answers `terminated`."""
    record = _record(deps, sandbox_id)
    if not record.terminated:
        if record.modal_id is not None:
            try:
                deps.sdk.Sandbox.from_id(record.modal_id).terminate(wait=True)
            except Exception as e:
                if not is_not_found(e):
                    raise
        record.terminated = True
        record.message = "terminated by the control plane"
        _save(deps, record)
    return sandbox_info(record, None, deps.now_ms())


def _running(deps: Deps, record: SandboxRecord, doing: str) -> Any:
    """The Modal sandbox of a running sandbox, or a 409 saying why it cannot be `doing`."""
    sandbox, returncode = _poll(deps, record)
    if sandbox is None or returncode is not None:
        state = sandbox_info(record, returncode, deps.now_ms()).status.value
        raise conflict(f"sandbox {record.sandbox_id} is {state}; only a running sandbox can be {doing}")
    return sandbox


def snapshot(deps: Deps, sandbox_id: str) -> SnapshotInfo:
    """The whole filesystem (workspace and state included) as a Modal image; the sandbox keeps
    running. The image's id is the snapshot id."""
    record = _record(deps, sandbox_id)
    sandbox = _running(deps, record, "snapshotted")
    image = sandbox.snapshot_filesystem(deps.settings.snapshot_timeout_s, ttl=deps.settings.snapshot_ttl_s)
    return SnapshotInfo(
        snapshot_id=image.object_id,
        sandbox_id=record.sandbox_id,
        session_id=record.session_id,
        created_at=deps.now_ms(),
        runtime_version=deps.runtime_version(),
        runtime_generation=RUNTIME_GENERATION,
    )


def claim(deps: Deps, sandbox_id: str, req: ClaimSandbox) -> SandboxInfo:
    """A warm-pool sandbox joins a session: `claim.json` appears in its state directory at once
    (written beside it, then renamed), and the sandbox now belongs to the session."""
    check_id("session_id", req.session_id)
    check_present(
        [
            ("sandbox_token", req.sandbox_token),
            ("control_plane_url", req.control_plane_url),
            ("branch", req.branch),
        ]
    )
    check_control_plane_url(req.control_plane_url, deps.settings.allowed_hosts)
    record = _record(deps, sandbox_id)
    if not record.pool:
        raise conflict(f"sandbox {sandbox_id} is not a warm-pool sandbox")
    if record.claimed:
        raise conflict(f"sandbox {sandbox_id} was already claimed")
    if req.branch != record.branch:
        raise conflict(f"sandbox {sandbox_id} booted on branch {record.branch}, not {req.branch}")
    sandbox = _running(deps, record, "claimed")
    # One claim per sandbox, even when two containers race.
    if not deps.stores.sandboxes.put(claim_key(sandbox_id), req.session_id, skip_if_exists=True):
        raise conflict(f"sandbox {sandbox_id} was already claimed")
    try:
        write_claim(sandbox, req)
    except Exception:
        deps.stores.sandboxes.pop(claim_key(sandbox_id), None)
        raise
    record.session_id = req.session_id
    record.claimed = True
    _save(deps, record)
    try:
        sandbox.set_tags({"oi_session": req.session_id, "oi_sandbox": sandbox_id})
    except Exception:
        pass  # Tags only label the sandbox in Modal's dashboard.
    return sandbox_info(record, None, deps.now_ms())


def write_claim(sandbox: Any, req: ClaimSandbox) -> None:
    """Writes the `ClaimSandbox` JSON to `$OI_STATE_DIR/claim.json` atomically: the whole file
    goes to a temporary name in the same directory, then `mv` renames it (rename(2)), so the
    supervisor never reads half a file."""
    tmp = f"{layout.CLAIM_FILE}.tmp-{secrets.token_hex(8)}"
    sandbox.filesystem.write_text(json.dumps(wire(req)), tmp)
    process = sandbox.exec("mv", "-f", tmp, layout.CLAIM_FILE)
    code = process.wait()
    if code != 0:
        raise internal(f"cannot move claim.json into place (mv exited with {code})")
