"""The fake's surface against the real modal 1.6.4 SDK (installed in the test venv, never
contacted): every call the app makes through the fake exists in modal with those argument names.
Skipped when modal is not installed."""

from __future__ import annotations

import inspect

import pytest

modal = pytest.importorskip("modal")


def params(fn) -> set[str]:
    return set(inspect.signature(fn).parameters)


def test_sandbox_calls_exist_with_these_arguments() -> None:
    create = params(modal.Sandbox.create)
    assert {"args", "app", "image", "env", "timeout", "workdir", "tags"} <= create
    assert "sandbox_id" in params(modal.Sandbox.from_id)
    assert params(modal.Sandbox.poll) == {"self"}
    assert "wait" in params(modal.Sandbox.terminate)
    snap = inspect.signature(modal.Sandbox.snapshot_filesystem).parameters
    assert list(snap)[:2] == ["self", "timeout"] and snap["ttl"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "args" in params(modal.Sandbox.exec)
    assert "tags" in params(modal.Sandbox.set_tags)
    assert isinstance(inspect.getattr_static(modal.Sandbox, "object_id"), property)
    assert isinstance(inspect.getattr_static(modal.Sandbox, "stdin"), property)
    from modal.io_streams import StreamWriter

    assert list(inspect.signature(StreamWriter.write).parameters) == ["self", "data"]
    assert params(StreamWriter.write_eof) == params(StreamWriter.drain) == {"self"}


def test_filesystem_process_image_and_dict_calls_exist() -> None:
    from modal.container_process import ContainerProcess
    from modal.sandbox.sandbox import SandboxFilesystem

    assert list(inspect.signature(SandboxFilesystem.write_text).parameters) == ["self", "data", "remote_path"]
    assert list(inspect.signature(SandboxFilesystem.read_text).parameters) == ["self", "remote_path"]
    assert params(ContainerProcess.wait) == {"self"}
    assert "image_id" in params(modal.Image.from_id)
    assert {"name", "create_if_missing"} <= params(modal.Dict.from_name)
    assert {"key", "value", "skip_if_exists"} <= params(modal.Dict.put)
    assert {"key", "default"} <= params(modal.Dict.get) and {"key", "default"} <= params(modal.Dict.pop)
    assert params(modal.Dict.items) == {"self"}


def test_the_exceptions_the_app_recognises_exist() -> None:
    import modal.exception as exc

    assert exc.NotFoundError.__name__ == "NotFoundError"
    assert exc.SandboxFilesystemNotFoundError.__name__ == "SandboxFilesystemNotFoundError"
