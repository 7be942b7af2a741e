"""The sandbox-provider contract's JSON shapes, mirroring `crates/protocol/src/provider.rs`,
`agent.rs` and `error.rs` field for field (docs/sandbox-provider.md).

Inputs are validated strictly, as serde does: a string is not a number, `"true"` is not a bool,
`null` is not a map. Unknown fields are ignored (serde's default). Outputs leave out what serde
skips (`None`, an empty `env` or `models`, `pool: false`); see `wire()`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

# `oi_protocol::provider::RUNTIME_GENERATION`; tests/test_contract.py keeps the two in step.
RUNTIME_GENERATION = 1


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


# --- agent.rs ---------------------------------------------------------------------------------


class ModelApi(str, Enum):
    OPENAI_COMPATIBLE = "openai_compatible"
    ANTHROPIC = "anthropic"


class ModelProvider(_Model):
    id: str
    api: ModelApi
    base_url: str
    api_key: Optional[str] = None
    test_model: bool = False
    models: list[str] = Field(default_factory=list)


class AgentConfig(_Model):
    model: str
    providers: list[ModelProvider]


# --- provider.rs ------------------------------------------------------------------------------


class BootMode(str, Enum):
    BUILD = "build"
    FRESH = "fresh"
    REPO_IMAGE = "repo_image"
    SNAPSHOT_RESTORE = "snapshot_restore"


class CreateSandbox(_Model):
    session_id: str
    sandbox_id: str
    repo: str
    branch: str
    control_plane_url: str
    sandbox_token: str
    agent: AgentConfig
    env: dict[str, str] = Field(default_factory=dict)
    boot_mode: BootMode = BootMode.FRESH
    image_id: Optional[str] = None
    pool: bool = False
    # Registries for a provider that isolates the network; this one does not (yet), and says so
    # in its capabilities.
    network_allow: list[str] = Field(default_factory=list)
    # The branch the session's work goes to instead of `oi/<session_id>` (a pull request's head
    # branch): `OI_WORK_BRANCH` for the supervisor. Never with `pool`.
    work_branch: Optional[str] = None


class ClaimSandbox(_Model):
    session_id: str
    sandbox_token: str
    control_plane_url: str
    branch: str
    agent: AgentConfig


class RestoreSandbox(_Model):
    snapshot_id: str
    sandbox: CreateSandbox


class SandboxStatus(str, Enum):
    RUNNING = "running"
    EXITED = "exited"
    FAILED = "failed"
    TERMINATED = "terminated"


class SandboxInfo(_Model):
    sandbox_id: str
    session_id: str
    status: SandboxStatus
    created_at: int
    exit_code: Optional[int] = None
    message: Optional[str] = None


class SnapshotInfo(_Model):
    snapshot_id: str
    sandbox_id: str
    session_id: str
    created_at: int
    runtime_version: str
    runtime_generation: int
    size_bytes: Optional[int] = None


class ProviderCapabilities(_Model):
    snapshot: bool
    restore: bool
    persistent_resume: bool
    images: bool = False
    warm_pool: bool = False
    network_isolation: bool = False


class ProviderHealth(_Model):
    ok: bool
    provider: str
    version: str
    capabilities: ProviderCapabilities


class BuildImage(_Model):
    image_id: str
    repo: str
    branch: str
    build_token: str
    env: dict[str, str] = Field(default_factory=dict)
    network_allow: list[str] = Field(default_factory=list)


class ImageStatus(str, Enum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    DELETED = "deleted"


class ImageInfo(_Model):
    image_id: str
    repo: str
    branch: str
    status: ImageStatus
    created_at: int
    finished_at: Optional[int] = None
    base_sha: Optional[str] = None
    runtime_generation: int
    error: Optional[str] = None
    log_tail: Optional[str] = None
    size_bytes: Optional[int] = None


# --- error.rs ---------------------------------------------------------------------------------


class ApiErrorDetail(_Model):
    code: str
    message: str


class ErrorBody(_Model):
    error: ApiErrorDetail


# Fields serde leaves out when empty or false (`skip_serializing_if`), besides `None`s.
_SKIP_WHEN_EMPTY = {"env", "models", "network_allow"}
_SKIP_WHEN_FALSE = {"pool"}


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key in _SKIP_WHEN_EMPTY and item in ({}, []):
                continue
            if key in _SKIP_WHEN_FALSE and item is False:
                continue
            out[key] = _prune(item)
        return out
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def wire(model: BaseModel) -> dict[str, Any]:
    """The model as serde would serialize it: enums as their names, skipped fields left out."""
    return _prune(model.model_dump(mode="json"))
