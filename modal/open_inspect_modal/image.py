"""The sandbox image, defined in code: Debian slim with git, curl, Node 22, Python 3.12,
Chromium, the pinned OpenCode and the supervisor. No bubblewrap: Modal isolates each sandbox
(gVisor) itself. Built once per deploy by `build_image.py`; sandboxes start from its id."""

from __future__ import annotations

from pathlib import Path

import modal

from . import layout

NODE_MAJOR = 22


def sandbox_image(agent_bin: str | Path) -> modal.Image:
    """`agent_bin` is the `sandbox-agent` binary on this machine: a static musl build
    (`cargo build --release -p oi-sandbox-agent --target x86_64-unknown-linux-musl`), or a glibc
    build made on a glibc no newer than the image's (Debian 12: 2.36). See docs/deploy-modal.md."""
    agent_bin = Path(agent_bin)
    if not agent_bin.is_file():
        raise FileNotFoundError(f"the supervisor binary {agent_bin} does not exist")
    return (
        modal.Image.debian_slim(python_version="3.12")
        .apt_install("git", "curl", "ca-certificates", "gnupg", "chromium")
        .run_commands(
            f"curl -fsSL https://deb.nodesource.com/setup_{NODE_MAJOR}.x | bash -",
            "apt-get install -y nodejs",
            "node --version",
            # --ignore-scripts: the package carries its binary, and runs nothing at install.
            f"npm install -g --prefix {layout.OPENCODE_PREFIX} --ignore-scripts "
            f"opencode-linux-x64@{layout.OPENCODE_VERSION}",
            f"HOME=/tmp/opencode-probe {layout.OPENCODE_BIN} --version && rm -rf /tmp/opencode-probe",
            f"mkdir -p {layout.WORKSPACE} {layout.STATE_DIR} {layout.BUILD_DIR}",
        )
        # copy=True bakes the binary into a layer, so snapshots and repo images carry it too.
        .add_local_file(agent_bin, layout.AGENT_BIN, copy=True)
        .run_commands(f"chmod 0755 {layout.AGENT_BIN}", f"{layout.AGENT_BIN} --version")
    )
