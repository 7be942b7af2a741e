"""The web app's configuration, from its environment (the `open-inspect-provider` Modal
Secret). See docs/deploy-modal.md."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from .store import CONFIG, IMAGES, NONCES, SANDBOXES
from .validation import parse_allowlist

# Modal's longest sandbox lifetime is 24 h.
MAX_TIMEOUT_S = 24 * 3600
# What Modal accepts as an object name.
_DICT_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _seconds(environ: Mapping[str, str], name: str, default: Optional[int], allow_none: bool = False) -> Optional[int]:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if allow_none and raw.lower() == "none":
        return None
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    # `OI_PROVIDER_KEY`: the HMAC key shared with the control plane (its `SANDBOX_PROVIDER_KEY`).
    provider_key: Optional[bytes]
    # `ALLOWED_CONTROL_PLANE_HOSTS`: where sandboxes may connect; `None` allows nothing.
    allowed_hosts: Optional[tuple[str, ...]]
    # `OI_SANDBOX_TIMEOUT_SECONDS`: a session or pool sandbox's longest life (Modal `timeout`).
    sandbox_timeout_s: int = 4 * 3600
    # `OI_BUILD_TIMEOUT_SECONDS`: an image build's longest life, collection included.
    build_timeout_s: int = 3600
    # How long one `snapshot_filesystem` may take.
    snapshot_timeout_s: int = 300
    # `OI_SNAPSHOT_TTL_SECONDS`: how long Modal keeps snapshots and images (`none`: forever).
    snapshot_ttl_s: Optional[int] = 30 * 24 * 3600
    # `OI_NONCE_DICT`: the `modal.Dict` holding the replay check's nonces.
    nonce_dict: str = NONCES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        key = environ.get("OI_PROVIDER_KEY", "")
        sandbox_timeout = _seconds(environ, "OI_SANDBOX_TIMEOUT_SECONDS", cls.sandbox_timeout_s)
        build_timeout = _seconds(environ, "OI_BUILD_TIMEOUT_SECONDS", cls.build_timeout_s)
        for name, value in (
            ("OI_SANDBOX_TIMEOUT_SECONDS", sandbox_timeout),
            ("OI_BUILD_TIMEOUT_SECONDS", build_timeout),
        ):
            if value is not None and value > MAX_TIMEOUT_S:
                raise ValueError(f"{name} must be at most {MAX_TIMEOUT_S} (Modal's limit)")
        nonce_dict = environ.get("OI_NONCE_DICT", "").strip() or cls.nonce_dict
        if not _DICT_NAME.fullmatch(nonce_dict):
            raise ValueError(f"OI_NONCE_DICT must be a Modal Dict name (letters, digits, . _ -), got {nonce_dict!r}")
        if nonce_dict in (SANDBOXES, IMAGES, CONFIG):
            raise ValueError(f"OI_NONCE_DICT must not name another of the app's Dicts ({nonce_dict})")
        return cls(
            provider_key=key.encode("utf-8") if key else None,
            allowed_hosts=parse_allowlist(environ.get("ALLOWED_CONTROL_PLANE_HOSTS")),
            sandbox_timeout_s=sandbox_timeout or cls.sandbox_timeout_s,
            build_timeout_s=build_timeout or cls.build_timeout_s,
            snapshot_ttl_s=_seconds(environ, "OI_SNAPSHOT_TTL_SECONDS", cls.snapshot_ttl_s, allow_none=True),
            nonce_dict=nonce_dict,
        )
