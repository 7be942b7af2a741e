"""The supervisor's environment (docs/sandbox-provider.md, "The supervisor's environment").

Built from scratch: nothing of the web app's own environment (the provider key above all)
reaches a sandbox. `OI_REPO_AUTH` is never set: on Modal `repo` is always a URL, and the sandbox
token is never sent to another remote. The sandbox token is not in the environment at all: it
reaches the supervisor as the first line of its stdin (`OI_SANDBOX_TOKEN_ON_STDIN=1`,
`Deps.launch`), so no process in the sandbox finds it in its environment.
"""

from __future__ import annotations

import json
import re
from typing import Mapping

from . import layout
from .contract import BootMode, BuildImage, CreateSandbox, wire
from .errors import invalid

# The names the provider sets and a request's `env` may not override: exactly
# `oi_protocol::supervisor_env::PROVIDER_SET` (crates/protocol/tests/supervisor_env_copies.rs
# checks). `OI_CLAIM_FD` and `OI_NETWORK_GATEWAY` are never set here (Modal writes claim.json and
# has no gateway), but no request may set them.
RESERVED = (
    "OI_SESSION_ID",
    "OI_SANDBOX_ID",
    "OI_SANDBOX_TOKEN",
    "OI_SANDBOX_TOKEN_ON_STDIN",
    "OI_CONTROL_PLANE_URL",
    "OI_REPO_URL",
    "OI_REPO_AUTH",
    "OI_BRANCH",
    "OI_WORK_BRANCH",
    "OI_WORKSPACE",
    "OI_STATE_DIR",
    "OPENINSPECT_BOOT_MODE",
    "OI_OPENCODE_BIN",
    "OI_AGENT_CONFIG",
    "OI_POOL",
    "OI_CLAIM_FD",
    "OI_NETWORK_GATEWAY",
)

# Overridable by the request's `env`.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_LANG = "C.UTF-8"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_request_env(env: Mapping[str, str]) -> None:
    """Valid names, no NUL in values, no reserved name; a 400 naming the variable."""
    for name, value in env.items():
        if name in RESERVED:
            raise invalid(f"env may not set {name}: the provider sets it for the supervisor")
        if not _NAME.fullmatch(name):
            raise invalid(f"env name {name!r} is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")
        if "\0" in value:
            raise invalid(f"env value of {name} contains a NUL byte")


def _base(request_env: Mapping[str, str]) -> dict[str, str]:
    env = {"PATH": DEFAULT_PATH, "LANG": DEFAULT_LANG, "HOME": layout.HOME}
    env.update(request_env)
    env["PWD"] = layout.WORKSPACE
    return env


def sandbox_env(req: CreateSandbox, boot_mode: BootMode) -> dict[str, str]:
    """A session (or warm-pool) sandbox's whole environment: a base (`PATH`, `LANG`, `HOME`),
    the request's `env` over it, and the contract's variables over both."""
    check_request_env(req.env)
    env = _base(req.env)
    env.update(
        {
            "OI_SESSION_ID": req.session_id,
            "OI_SANDBOX_ID": req.sandbox_id,
            "OI_SANDBOX_TOKEN_ON_STDIN": "1",
            "OI_CONTROL_PLANE_URL": req.control_plane_url,
            "OI_REPO_URL": req.repo,
            "OI_BRANCH": req.branch,
            "OI_WORKSPACE": layout.WORKSPACE,
            "OI_STATE_DIR": layout.STATE_DIR,
            "OPENINSPECT_BOOT_MODE": boot_mode.value,
            "OI_OPENCODE_BIN": layout.OPENCODE_BIN,
            "OI_AGENT_CONFIG": json.dumps(wire(req.agent), separators=(",", ":")),
        }
    )
    if req.pool:
        env["OI_POOL"] = "1"
    if req.work_branch is not None:
        env["OI_WORK_BRANCH"] = req.work_branch
    return env


def build_env(req: BuildImage) -> dict[str, str]:
    """A build sandbox's environment: `build` mode, no control plane (`OI_CONTROL_PLANE_URL`
    empty), no agent configuration. The image id stands in for the session and sandbox ids."""
    check_request_env(req.env)
    env = _base(req.env)
    env.update(
        {
            "OI_SESSION_ID": req.image_id,
            "OI_SANDBOX_ID": req.image_id,
            "OI_SANDBOX_TOKEN_ON_STDIN": "1",
            "OI_CONTROL_PLANE_URL": "",
            "OI_REPO_URL": req.repo,
            "OI_BRANCH": req.branch,
            "OI_WORKSPACE": layout.WORKSPACE,
            "OI_STATE_DIR": layout.STATE_DIR,
            "OPENINSPECT_BOOT_MODE": BootMode.BUILD.value,
            "OI_OPENCODE_BIN": layout.OPENCODE_BIN,
        }
    )
    return env
