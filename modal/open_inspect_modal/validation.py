"""Checks on request fields, before anything is asked of Modal. Each failure is a 400 that names
the field (or a 500 when the provider itself is misconfigured)."""

from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import urlsplit

from .errors import internal, invalid

MAX_ID_LEN = 128
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def check_id(field: str, value: str) -> None:
    """Ids are 1 to 128 of `[A-Za-z0-9_-]`, starting with a letter or digit (as the local
    provider requires), so they are safe as Dict keys, tags and file names."""
    if not _SAFE_ID.fullmatch(value):
        raise invalid(
            f"{field} must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-', "
            "starting with a letter or digit"
        )


def check_present(fields: Iterable[tuple[str, str]]) -> None:
    """Each named value is non-blank and has no NUL byte."""
    for name, value in fields:
        if not value.strip():
            raise invalid(f"{name} must not be empty")
        if "\0" in value:
            raise invalid(f"{name} contains a NUL byte")


# `oi_protocol::provider::check_work_branch`: a plain branch name, as `git check-ref-format
# --branch` takes it, without `refs/`.
_BAD_BRANCH_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f~^:?*\[\\]")


def check_work_branch(name: str) -> None:
    """`work_branch` is a plain branch name: not empty, no `..`, `//` or `@{`, no leading `-`,
    no `refs/`, no component starting with `.` or ending with `.lock`, no trailing `/` or `.`,
    no whitespace, control characters or `~^:?*[\\`, at most 255 bytes."""
    bad = (
        not name
        or len(name.encode()) > 255
        or name.startswith("-")
        or name.startswith("refs/")
        or name.endswith("/")
        or name.endswith(".")
        or name.endswith(".lock")
        or ".." in name
        or "@{" in name
        or name == "@"
        or any(not part or part.startswith(".") or part.endswith(".lock") for part in name.split("/"))
        or any(c.isspace() for c in name)
        or _BAD_BRANCH_CHARS.search(name) is not None
    )
    if bad:
        raise invalid(f"work_branch {name!r} is not a plain git branch name")


def check_repo(repo: str) -> None:
    """A Modal sandbox clones from a URL. A path (or `file:` URL) would name a file on the
    control plane's host, which a sandbox on Modal cannot reach, so it is refused."""
    if repo.startswith("/") or repo.lower().startswith("file:"):
        raise invalid(
            f"repo {repo!r} is a local path; a Modal sandbox cannot reach the control plane's "
            "files, so repo must be a git URL (https://…, ssh://…, git@host:path)"
        )


def parse_allowlist(value: Optional[str]) -> Optional[tuple[str, ...]]:
    """`ALLOWED_CONTROL_PLANE_HOSTS`: comma-separated `host` or `host:port` entries. `None`
    when unset or empty, which allows nothing."""
    if value is None:
        return None
    entries = tuple(e.strip().lower() for e in value.split(",") if e.strip())
    return entries or None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_control_plane_url(url: str, allowed: Optional[tuple[str, ...]]) -> None:
    """The SSRF guard: a sandbox only ever talks to a listed control plane. An entry `host`
    allows that host on any port; `host:port` only that port (a URL without a port has its
    scheme's default). Fails closed when no allowlist is configured."""
    if not allowed:
        raise internal(
            "ALLOWED_CONTROL_PLANE_HOSTS is not set on the provider, so no control plane is "
            "allowed (fail closed)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid(f"control_plane_url {url!r} is not a valid URL") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise invalid(f"control_plane_url {url!r} must be an http:// or https:// URL with a host")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise invalid(f"control_plane_url {url!r} must not carry credentials, a query or a fragment")
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal, written with brackets in the allowlist
        host = f"[{host}]"
    effective_port = port if port is not None else _DEFAULT_PORTS[parts.scheme]
    for entry in allowed:
        if entry == host or entry == f"{host}:{effective_port}":
            return
    raise invalid(
        f"control_plane_url host {host}:{effective_port} is not in ALLOWED_CONTROL_PLANE_HOSTS"
    )
