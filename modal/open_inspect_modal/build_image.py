"""Builds the sandbox image and records its id for the web app, at deploy time:

    python -m open_inspect_modal.build_image --agent-bin <sandbox-agent> [--runtime-version V]

It needs Modal credentials (`modal token new`). The web app starts every sandbox from the image
id stored here (`open-inspect-config`), so a new supervisor takes effect without redeploying it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Optional


def probe_version(agent_bin: Path) -> str:
    """`sandbox-agent --version` prints `sandbox-agent <version>`."""
    try:
        out = subprocess.run([str(agent_bin), "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.split()[-1] if out.returncode == 0 and out.stdout.split() else "unknown"
    except OSError:
        return "unknown"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent-bin", required=True, type=Path, help="the sandbox-agent binary to bake in")
    parser.add_argument("--runtime-version", help="reported in snapshots (default: sandbox-agent --version)")
    args = parser.parse_args(argv)

    import modal

    from .app import APP_NAME
    from .image import sandbox_image
    from .store import CONFIG, RUNTIME_VERSION, SANDBOX_IMAGE_ID

    version = args.runtime_version or probe_version(args.agent_bin)
    image = sandbox_image(args.agent_bin)
    app = modal.App.lookup(APP_NAME, create_if_missing=True)
    with modal.enable_output():
        image.build(app)
    config = modal.Dict.from_name(CONFIG, create_if_missing=True)
    config.put(SANDBOX_IMAGE_ID, image.object_id)
    config.put(RUNTIME_VERSION, version)
    print(f"sandbox image {image.object_id} (runtime {version}) is now the base of new sandboxes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
