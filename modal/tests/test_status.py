"""How a record and Modal's poll() become a SandboxInfo."""

from __future__ import annotations

from open_inspect_modal.status import CREATE_DEADLINE_MS, GONE, is_not_found, sandbox_info
from open_inspect_modal.store import SandboxRecord

from .fake_modal import NotFoundError, SandboxFilesystemNotFoundError


def record(**changes) -> SandboxRecord:
    base = SandboxRecord(sandbox_id="sbx_1", session_id="ses_1", created_at=100, branch="main", modal_id="sb-1")
    for k, v in changes.items():
        setattr(base, k, v)
    return base


def test_mapping() -> None:
    assert sandbox_info(record(), None, 200).status.value == "running"
    exited = sandbox_info(record(), 2, 200)
    assert (exited.status.value, exited.exit_code) == ("exited", 2)
    gone = sandbox_info(record(), GONE, 200)
    assert gone.status.value == "exited" and gone.exit_code is None
    # Terminated wins over whatever Modal says.
    assert sandbox_info(record(terminated=True), None, 200).status.value == "terminated"
    assert sandbox_info(record(terminated=True), 0, 200).status.value == "terminated"


def test_a_create_in_flight_and_one_that_never_finished() -> None:
    assert sandbox_info(record(modal_id=None), None, 200).status.value == "running"
    late = sandbox_info(record(modal_id=None), None, 100 + CREATE_DEADLINE_MS + 1)
    assert late.status.value == "failed" and late.message


def test_modal_errors_are_recognised_by_name() -> None:
    class Sub(NotFoundError):
        pass

    assert is_not_found(NotFoundError()) and is_not_found(Sub()) and is_not_found(SandboxFilesystemNotFoundError())
    assert not is_not_found(KeyError())
