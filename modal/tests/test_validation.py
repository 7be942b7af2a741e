"""Field checks and the control-plane allowlist (the SSRF guard)."""

from __future__ import annotations

import pytest

from open_inspect_modal.errors import ApiError
from open_inspect_modal.validation import (
    check_control_plane_url,
    check_id,
    check_repo,
    check_work_branch,
    parse_allowlist,
)

ALLOWED = parse_allowlist(" CP.example.com , 127.0.0.1:8787,[::1]:9000,")


def test_parse_allowlist() -> None:
    assert ALLOWED == ("cp.example.com", "127.0.0.1:8787", "[::1]:9000")
    assert parse_allowlist(None) is None and parse_allowlist(" , ") is None


@pytest.mark.parametrize(
    "url",
    ["https://cp.example.com", "https://CP.example.com:8443/base", "http://127.0.0.1:8787", "http://[::1]:9000"],
)
def test_allowed(url) -> None:
    check_control_plane_url(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com",
        "https://cp.example.com.evil.net",
        "http://127.0.0.1",  # port 80, and only 8787 is listed
        "http://127.0.0.1:8788",
        "https://user:pw@cp.example.com",
        "https://cp.example.com/?x=1",
        "ftp://cp.example.com",
        "cp.example.com",
        "http://[::1]:abc",
    ],
)
def test_refused(url) -> None:
    with pytest.raises(ApiError) as e:
        check_control_plane_url(url, ALLOWED)
    assert e.value.status == 400 and "control_plane_url" in e.value.message


def test_no_allowlist_fails_closed() -> None:
    with pytest.raises(ApiError) as e:
        check_control_plane_url("https://cp.example.com", None)
    assert e.value.status == 500 and "ALLOWED_CONTROL_PLANE_HOSTS" in e.value.message


def test_ids_and_repos() -> None:
    check_id("sandbox_id", "sbx_01a2097d6ef18c35b98826804d86")
    check_id("snapshot_id", "im-AbC123")
    for bad in ["", ".", "../etc", "a/b", "_x", "-rf", "a b", "x" * 129]:
        with pytest.raises(ApiError):
            check_id("sandbox_id", bad)
    for url in ["https://github.com/o/r.git", "git@github.com:o/r.git", "ssh://git@h/r.git"]:
        check_repo(url)
    for local in ["/srv/git/app.git", "file:///srv/app", "FILE:/x"]:
        with pytest.raises(ApiError):
            check_repo(local)


@pytest.mark.parametrize("name", ["feature/login", "main", "fix-1.2", "user/x_y", "a@b"])
def test_plain_branch_names_are_work_branches(name) -> None:
    check_work_branch(name)


@pytest.mark.parametrize(
    "name",
    ["", "-x", "refs/heads/x", "a..b", "a b", "a\tb", "a\x7f", "x/", "/x", "a//b", "x.", "x.lock", "a/.hidden",
     "a.lock/b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "@", "a@{1}", "x" * 256],
)
def test_unsafe_work_branches_are_refused(name) -> None:
    with pytest.raises(ApiError) as e:
        check_work_branch(name)
    assert e.value.status == 400 and "work_branch" in e.value.message
