"""Repo images (docs/sandbox-provider.md, "Repo images"), as calls to Modal:

| route | Modal |
|---|---|
| `POST /v1/images` | `Sandbox.create(sh -c BUILD_SCRIPT sandbox-agent, image=<base>, …)` in `build` mode |
| `GET /v1/images/:id` | while building: `Sandbox.from_id(sb-…)`, `.poll()`, `.filesystem.read_text()` |
| | of the exit code, log tail and `image.json`; after exit 0, `.snapshot_filesystem()` |
| | (the image), then `.terminate()` |
| `DELETE /v1/images/:id` | `.terminate()` of a running build (Modal cannot delete an image: it |
| | lives until its TTL) |

A sandbox's filesystem can only be snapshotted while the sandbox runs, so a build sandbox does
not end with its supervisor: `BUILD_SCRIPT` records the supervisor's exit code and the end of
its output (stdout and stderr), then sleeps until the provider collects it on a `GET` (or the
build timeout ends it).
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import layout
from .contract import RUNTIME_GENERATION, BuildImage, ImageInfo, ImageStatus
from .deps import Deps
from .env import build_env
from .errors import ApiError, conflict, internal, not_found
from .status import CREATE_DEADLINE_MS, is_not_found
from .store import ImageRecord, finalize_key
from .validation import check_id, check_present, check_repo


def build_script(build_dir: str = layout.BUILD_DIR, linger: str = "sleep infinity") -> str:
    """`$1` is the supervisor. Its output (stdout and stderr) is the build log; the exit code is
    written last, and atomically, so a reader that sees it also sees the log tail. Then the
    sandbox lingers, so its filesystem can still be snapshotted."""
    return f"""mkdir -p {build_dir}
"$1" >{build_dir}/log 2>&1
code=$?
tail -c {layout.LOG_TAIL_BYTES} {build_dir}/log >{build_dir}/log.tail
echo "$code" >{build_dir}/exit.tmp && mv {build_dir}/exit.tmp {build_dir}/exit
exec {linger}
"""


BUILD_SCRIPT = build_script()
assert layout.BUILD_LOG_TAIL == f"{layout.BUILD_DIR}/log.tail" and layout.BUILD_EXIT == f"{layout.BUILD_DIR}/exit"

# A finalisation lock older than this belonged to a container that died.
FINALIZE_LOCK_MS = 10 * 60 * 1000


def build_command() -> list[str]:
    return ["/bin/sh", "-c", BUILD_SCRIPT, "oi-build", layout.AGENT_BIN]


def _load(deps: Deps, image_id: str) -> ImageRecord:
    value = deps.stores.images.get(image_id)
    if value is None:
        raise not_found(f"image {image_id} does not exist")
    return ImageRecord.from_dict(value)


def _save(deps: Deps, record: ImageRecord) -> None:
    deps.stores.images.put(record.info.image_id, record.to_dict())


def start(deps: Deps, req: BuildImage) -> ImageInfo:
    check_id("image_id", req.image_id)
    check_present([("repo", req.repo), ("branch", req.branch)])
    check_repo(req.repo)
    env = build_env(req)
    info = ImageInfo(
        image_id=req.image_id,
        repo=req.repo,
        branch=req.branch,
        status=ImageStatus.BUILDING,
        created_at=deps.now_ms(),
        runtime_generation=RUNTIME_GENERATION,
    )
    record = ImageRecord(info=info)
    if not deps.stores.images.put(req.image_id, record.to_dict(), skip_if_exists=True):
        raise conflict(f"image {req.image_id} already exists")
    try:
        sandbox = deps.launch(
            build_command(),
            image=deps.base_image(),
            env=env,
            timeout=deps.settings.build_timeout_s,
            tags={"oi_image": req.image_id, "oi_kind": "image-build"},
            token=req.build_token,
        )
    except Exception as e:
        deps.stores.images.pop(req.image_id, None)
        if isinstance(e, ApiError):
            raise
        raise internal(f"Modal could not create the build sandbox: {type(e).__name__}: {e}") from e
    record.build_sandbox = sandbox.object_id
    _save(deps, record)
    return info


def _read(sandbox: Any, path: str) -> Optional[str]:
    """A file in the sandbox, or `None` when it does not exist (yet)."""
    try:
        return sandbox.filesystem.read_text(path)
    except Exception as e:
        if is_not_found(e):
            return None
        raise


def tail(text: Optional[str]) -> Optional[str]:
    """At most the last 16 KiB of `text` (whole characters)."""
    if text is None:
        return None
    data = text.encode("utf-8")[-layout.LOG_TAIL_BYTES :]
    return data.decode("utf-8", errors="ignore")


def base_sha(image_json: Optional[str]) -> Optional[str]:
    """`base_sha` from the supervisor's `image.json`, or `None` when missing or malformed."""
    try:
        value = json.loads(image_json or "").get("base_sha")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _fail(deps: Deps, record: ImageRecord, error: str, log_tail: Optional[str] = None) -> None:
    info = record.info
    info.status, info.error, info.log_tail, info.finished_at = ImageStatus.FAILED, error, log_tail, deps.now_ms()


def _collect(deps: Deps, record: ImageRecord) -> None:
    """Moves a build on when its supervisor has exited; changes `record` in place."""
    try:
        sandbox = deps.sdk.Sandbox.from_id(record.build_sandbox)
        returncode = sandbox.poll()
    except Exception as e:
        if not is_not_found(e):
            raise
        return _fail(deps, record, "Modal no longer knows the build sandbox")
    if returncode is not None:
        return _fail(deps, record, f"the build sandbox ended (exit {returncode}) before its result was collected")
    exit_text = _read(sandbox, layout.BUILD_EXIT)
    if exit_text is None:
        return  # still building
    log_tail = tail(_read(sandbox, layout.BUILD_LOG_TAIL))
    code = exit_text.strip()
    if code != "0":
        _fail(deps, record, f"the build failed: the supervisor exited with {code}", log_tail)
    else:
        sha = base_sha(_read(sandbox, layout.IMAGE_FILE))
        if sha is None:
            _fail(deps, record, "the build exited 0 but left no base_sha in $OI_STATE_DIR/image.json", log_tail)
        else:
            image = sandbox.snapshot_filesystem(deps.settings.snapshot_timeout_s, ttl=deps.settings.snapshot_ttl_s)
            record.modal_image_id = image.object_id
            info = record.info
            info.status, info.base_sha, info.log_tail = ImageStatus.READY, sha, log_tail
            info.finished_at = deps.now_ms()
    sandbox.terminate()


def _lock(deps: Deps, image_id: str) -> bool:
    """One container collects a build at a time; a stale lock is taken over."""
    key, now = finalize_key(image_id), deps.now_ms()
    if deps.stores.images.put(key, now, skip_if_exists=True):
        return True
    held_since = deps.stores.images.get(key)
    if isinstance(held_since, int) and now - held_since > FINALIZE_LOCK_MS:
        deps.stores.images.pop(key, None)
        return bool(deps.stores.images.put(key, now, skip_if_exists=True))
    return False


def show(deps: Deps, image_id: str) -> ImageInfo:
    record = _load(deps, image_id)
    if record.info.status != ImageStatus.BUILDING:
        return record.info
    if record.build_sandbox is None:  # Sandbox.create in flight, or its container died
        if deps.now_ms() - record.info.created_at > CREATE_DEADLINE_MS:
            _fail(deps, record, "the build sandbox's creation never finished")
            _save(deps, record)
        return record.info
    if not _lock(deps, image_id):
        return record.info  # another container is collecting it
    try:
        record = _load(deps, image_id)  # it may have finished meanwhile
        if record.info.status == ImageStatus.BUILDING:
            _collect(deps, record)
            _save(deps, record)
    finally:
        deps.stores.images.pop(finalize_key(image_id), None)
    return record.info


def delete(deps: Deps, image_id: str) -> ImageInfo:
    """Idempotent. Stops a running build; the image can no longer start sandboxes."""
    record = _load(deps, image_id)
    if record.info.status == ImageStatus.DELETED:
        return record.info
    if record.info.status == ImageStatus.BUILDING and record.build_sandbox is not None:
        try:
            deps.sdk.Sandbox.from_id(record.build_sandbox).terminate()
        except Exception as e:
            if not is_not_found(e):
                raise
    record.info.status = ImageStatus.DELETED
    _save(deps, record)
    return record.info
