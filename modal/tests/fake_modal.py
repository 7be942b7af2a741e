"""A fake of exactly the part of the `modal` SDK the app uses (deps.py lists it), with the same
names and keyword arguments (test_sdk_surface.py checks them against the real modal 1.6.4 when
it is installed). It keeps what it was asked in `calls`, so tests check what the app asked Modal
to do, and lets a test play Modal's side: a sandbox exiting, a file appearing, a call failing.
"""

from __future__ import annotations

import itertools
from typing import Any, Optional

from open_inspect_modal.store import MemoryKV


# Named like modal.exception's classes: the app recognises them by name.
class NotFoundError(Exception):
    pass


class SandboxFilesystemNotFoundError(Exception):
    pass


class InternalError(Exception):
    pass


class FakeImage:
    def __init__(self, object_id: str, files: Optional[dict[str, str]] = None) -> None:
        self.object_id = object_id
        self.files = dict(files or {})


class FakeProcess:
    def __init__(self, args: tuple[str, ...], returncode: int) -> None:
        self.args = args
        self.returncode = returncode

    def wait(self) -> int:
        return self.returncode


class FakeFilesystem:
    def __init__(self, modal: "FakeModal", sandbox: "FakeSandbox") -> None:
        self._modal, self._sandbox = modal, sandbox
        self.files: dict[str, str] = {}

    def write_text(self, data: str, remote_path: str) -> None:
        self._modal.log("filesystem.write_text", self._sandbox.object_id, data, remote_path)
        self.files[remote_path] = data

    def read_text(self, remote_path: str) -> str:
        self._modal.log("filesystem.read_text", self._sandbox.object_id, remote_path)
        if remote_path not in self.files:
            raise SandboxFilesystemNotFoundError(remote_path)
        return self.files[remote_path]


class FakeSandbox:
    def __init__(self, modal: "FakeModal", object_id: str, args: tuple[str, ...], kwargs: dict[str, Any]) -> None:
        self._modal = modal
        self.object_id = object_id
        self.args = args
        self.kwargs = kwargs
        self.tags: dict[str, str] = dict(kwargs.get("tags") or {})
        self.returncode: Optional[int] = None
        self.terminated = False
        self.filesystem = FakeFilesystem(modal, self)
        self.stdin = FakeStdin(modal, self)
        image = kwargs.get("image")
        if isinstance(image, FakeImage):
            self.filesystem.files.update(image.files)

    # Modal's side, for tests.
    def exit(self, code: int) -> None:
        self.returncode = code

    # The SDK surface.
    def poll(self) -> Optional[int]:
        self._modal.log("poll", self.object_id)
        return self.returncode

    def terminate(self, *, wait: bool = False) -> Optional[int]:
        self._modal.log("terminate", self.object_id, wait=wait)
        if self.returncode is None:
            self.returncode = 137
        self.terminated = True
        return self.returncode if wait else None

    def snapshot_filesystem(self, timeout: int = 55, *, ttl: Optional[int] = 2592000) -> FakeImage:
        self._modal.log("snapshot_filesystem", self.object_id, timeout=timeout, ttl=ttl)
        if self.returncode is not None:
            raise InternalError("cannot snapshot a finished sandbox")
        image = FakeImage(f"im-snap{next(self._modal.ids)}", self.filesystem.files)
        self._modal.images[image.object_id] = image
        return image

    def exec(self, *args: str, **kwargs: Any) -> FakeProcess:
        self._modal.log("exec", self.object_id, *args, **kwargs)
        code = 0
        if args[:2] == ("mv", "-f") and len(args) == 4:
            src, dst = args[2], args[3]
            if src in self.filesystem.files:
                self.filesystem.files[dst] = self.filesystem.files.pop(src)
            else:
                code = 1
        return FakeProcess(args, code)

    def set_tags(self, tags: dict[str, str], *, client: Any = None) -> None:
        self._modal.log("set_tags", self.object_id, tags)
        self.tags = dict(tags)


class FakeStdin:
    """`Sandbox.stdin` (a `StreamWriter`): what was written, and whether it was closed."""

    def __init__(self, modal: "FakeModal", sandbox: "FakeSandbox") -> None:
        self._modal, self._sandbox = modal, sandbox
        self.written = ""
        self.closed = False

    def write(self, data: str) -> None:
        self._modal.log("stdin.write", self._sandbox.object_id)
        if self._modal.fail_stdin is not None:
            raise self._modal.fail_stdin
        if self.closed:
            raise ValueError("stdin is closed")
        self.written += data

    def write_eof(self) -> None:
        self._modal.log("stdin.write_eof", self._sandbox.object_id)
        self.closed = True

    def drain(self) -> None:
        self._modal.log("stdin.drain", self._sandbox.object_id)


class _SandboxAPI:
    def __init__(self, modal: "FakeModal") -> None:
        self._modal = modal

    def create(self, *args: str, **kwargs: Any) -> FakeSandbox:
        self._modal.log("Sandbox.create", *args, **kwargs)
        if self._modal.fail_create is not None:
            raise self._modal.fail_create
        image = kwargs.get("image")
        if isinstance(image, FakeImage) and image.object_id not in self._modal.images:
            raise NotFoundError(f"image {image.object_id} not found")
        sandbox = FakeSandbox(self._modal, f"sb-{next(self._modal.ids)}", args, kwargs)
        self._modal.sandboxes[sandbox.object_id] = sandbox
        return sandbox

    def from_id(self, sandbox_id: str, client: Any = None) -> FakeSandbox:
        self._modal.log("Sandbox.from_id", sandbox_id)
        if sandbox_id not in self._modal.sandboxes:
            raise NotFoundError(f"sandbox {sandbox_id} not found")
        return self._modal.sandboxes[sandbox_id]


class _ImageAPI:
    def __init__(self, modal: "FakeModal") -> None:
        self._modal = modal

    def from_id(self, image_id: str, client: Any = None) -> FakeImage:
        self._modal.log("Image.from_id", image_id)
        if image_id not in self._modal.images:
            raise NotFoundError(f"image {image_id} not found")
        return self._modal.images[image_id]


class FakeDict(MemoryKV):
    """A `modal.Dict`: `MemoryKV`'s semantics, with the calls a test may want to see logged."""

    def __init__(self, modal: "FakeModal", name: str) -> None:
        super().__init__()
        self._modal, self.name = modal, name
        # Modal's side, for tests: the next `items()` raises this.
        self.fail_items: Optional[BaseException] = None

    def items(self) -> list[tuple[Any, Any]]:
        self._modal.log("Dict.items", self.name)
        if self.fail_items is not None:
            error, self.fail_items = self.fail_items, None
            raise error
        return super().items()

    def pop(self, key: Any, default: Any = ...) -> Any:
        self._modal.log("Dict.pop", self.name, key)
        return super().pop(key, default)


class _DictAPI:
    def __init__(self, modal: "FakeModal") -> None:
        self._modal = modal

    def from_name(self, name: str, *, environment_name: Optional[str] = None, create_if_missing: bool = False,
                  client: Any = None) -> FakeDict:
        self._modal.log("Dict.from_name", name, create_if_missing=create_if_missing)
        if name not in self._modal.dicts:
            if not create_if_missing:
                raise NotFoundError(f"dict {name} not found")
            self._modal.dicts[name] = FakeDict(self._modal, name)
        return self._modal.dicts[name]


class FakeModal:
    """Stands in for the `modal` module: `.Sandbox`, `.Image`, `.Dict`."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.sandboxes: dict[str, FakeSandbox] = {}
        self.images: dict[str, FakeImage] = {"im-base": FakeImage("im-base")}
        self.dicts: dict[str, FakeDict] = {}
        self.fail_create: Optional[BaseException] = None
        # Modal's side, for tests: writing a sandbox's stdin raises this.
        self.fail_stdin: Optional[BaseException] = None
        self.Sandbox = _SandboxAPI(self)
        self.Image = _ImageAPI(self)
        self.Dict = _DictAPI(self)

    def log(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    def calls_to(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def only_sandbox(self) -> FakeSandbox:
        assert len(self.sandboxes) == 1, list(self.sandboxes)
        return next(iter(self.sandboxes.values()))
