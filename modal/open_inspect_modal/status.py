"""How a sandbox's record and what Modal says of it become a contract `SandboxInfo`, and how
Modal's exceptions are recognised without importing `modal` (tests run without it)."""

from __future__ import annotations

from typing import Optional

from .contract import SandboxInfo, SandboxStatus
from .store import SandboxRecord

# What `poll()` found when Modal no longer knows the sandbox (`NotFoundError`).
GONE = object()
# A record still without a Modal id after this long was being created by a container that died.
CREATE_DEADLINE_MS = 10 * 60 * 1000


def is_modal_error(exc: BaseException, *names: str) -> bool:
    """Whether `exc` is (a subclass of) one of `modal.exception`'s classes, by name."""
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def is_not_found(exc: BaseException) -> bool:
    return is_modal_error(exc, "NotFoundError", "SandboxFilesystemNotFoundError")


def sandbox_info(record: SandboxRecord, returncode: object, now_ms: int) -> SandboxInfo:
    """`returncode` is what `Sandbox.poll()` answered (`None` while running), or `GONE`.

    - terminated by us: `terminated`, whatever Modal says;
    - no Modal id yet: `running` while `Sandbox.create` may still be in flight, `failed` after
      `CREATE_DEADLINE_MS` (a failed create forgets its record, so only a dead container leaves
      one behind);
    - `poll()` is `None`: `running`;
    - `poll()` is a code: `exited` with that code (the supervisor ended, or Modal's `timeout`
      ended it);
    - Modal no longer knows it: `exited`, saying so.
    """
    status: SandboxStatus
    exit_code: Optional[int] = None
    message: Optional[str] = None
    if record.terminated:
        status, exit_code, message = SandboxStatus.TERMINATED, record.exit_code, record.message
    elif record.modal_id is None:
        if now_ms - record.created_at > CREATE_DEADLINE_MS:
            status, message = SandboxStatus.FAILED, "the sandbox's creation never finished"
        else:
            status, message = SandboxStatus.RUNNING, "the sandbox is being created"
    elif returncode is GONE:
        status, message = SandboxStatus.EXITED, "Modal no longer knows this sandbox"
    elif returncode is None:
        status = SandboxStatus.RUNNING
    else:
        assert isinstance(returncode, int)
        status, exit_code = SandboxStatus.EXITED, returncode
    return SandboxInfo(
        sandbox_id=record.sandbox_id,
        session_id=record.session_id,
        status=status,
        created_at=record.created_at,
        exit_code=exit_code,
        message=message,
    )
