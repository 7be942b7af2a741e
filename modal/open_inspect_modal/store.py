"""Durable state. A Modal web app runs in as many containers as its traffic needs, each of which
may stop at any time, so nothing lives in process memory: everything is in named `modal.Dict`s,
shared by every container of the app.

| Dict | key | value |
|---|---|---|
| `open-inspect-sandboxes` | the contract's `sandbox_id` | a `SandboxRecord` (Modal's `sb-…` id, session, flags) |
| `open-inspect-sandboxes` | `claim/<sandbox_id>` | the claiming session (one claim per sandbox) |
| `open-inspect-images` | the contract's `image_id` | an `ImageRecord` (the `ImageInfo`, the build sandbox, `im-…`) |
| `open-inspect-images` | `finalize/<image_id>` | when a container started finishing that build (a lock) |
| `open-inspect-nonces` (`OI_NONCE_DICT`) | a request's nonce | its timestamp (replay check, signing.NonceGuard; pruned after 10 minutes) |
| `open-inspect-config` | `sandbox_image_id`, `runtime_version` | written by `build_image.py` at deploy time |

Values are plain dicts of JSON types, so no class of ours is pickled into Modal. Modal drops a
Dict entry after 7 days without reads or writes (modal 1.6.4, `modal/dict.py`): a sandbox or an
image nobody looked at for a week is forgotten (answers 404).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Optional, Protocol

from .contract import ImageInfo

SANDBOXES = "open-inspect-sandboxes"
IMAGES = "open-inspect-images"
NONCES = "open-inspect-nonces"
CONFIG = "open-inspect-config"
DICT_NAMES = (SANDBOXES, IMAGES, NONCES, CONFIG)

# Keys in the config Dict.
SANDBOX_IMAGE_ID = "sandbox_image_id"
RUNTIME_VERSION = "runtime_version"


class KV(Protocol):
    """The part of `modal.Dict` this app uses."""

    def get(self, key: Any, default: Any = None) -> Any: ...

    def put(self, key: Any, value: Any, *, skip_if_exists: bool = False) -> bool: ...

    def pop(self, key: Any, default: Any = ...) -> Any: ...

    def items(self) -> Iterable[tuple[Any, Any]]: ...


class MemoryKV:
    """An in-process `KV` with `modal.Dict`'s semantics, for tests and local runs."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        return self.data.get(key, default)

    def put(self, key: Any, value: Any, *, skip_if_exists: bool = False) -> bool:
        if skip_if_exists and key in self.data:
            return False
        self.data[key] = value
        return True

    def pop(self, key: Any, default: Any = ...) -> Any:
        if default is ...:
            return self.data.pop(key)
        return self.data.pop(key, default)

    def items(self) -> Iterable[tuple[Any, Any]]:
        # A copy, as Modal streams a snapshot: popping while iterating is fine.
        return list(self.data.items())


@dataclass(frozen=True)
class Stores:
    sandboxes: KV
    images: KV
    nonces: KV
    config: KV


def open_stores(sdk: Any, nonces: str = NONCES) -> Stores:
    """The app's Dicts, by name, created on first use (`modal.Dict.from_name`); the nonce Dict's
    name is configurable (`OI_NONCE_DICT`)."""

    def named(name: str) -> KV:
        return sdk.Dict.from_name(name, create_if_missing=True)

    return Stores(named(SANDBOXES), named(IMAGES), named(nonces), named(CONFIG))


@dataclass
class SandboxRecord:
    """What the provider remembers of a sandbox; Modal knows the rest."""

    sandbox_id: str
    session_id: str
    created_at: int
    branch: str
    # Modal's `sb-…` id; `None` only while `Sandbox.create` is in flight.
    modal_id: Optional[str] = None
    pool: bool = False
    claimed: bool = False
    terminated: bool = False
    exit_code: Optional[int] = None
    message: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "SandboxRecord":
        return cls(**{k: v for k, v in value.items() if k in cls.__dataclass_fields__})


@dataclass
class ImageRecord:
    """A repo image: what the contract reports, plus where it lives on Modal."""

    info: ImageInfo
    build_sandbox: Optional[str] = None
    modal_image_id: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info.model_dump(mode="json"),
            "build_sandbox": self.build_sandbox,
            "modal_image_id": self.modal_image_id,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "ImageRecord":
        return cls(
            info=ImageInfo.model_validate(value["info"], strict=False),
            build_sandbox=value.get("build_sandbox"),
            modal_image_id=value.get("modal_image_id"),
        )


def claim_key(sandbox_id: str) -> str:
    return f"claim/{sandbox_id}"


def finalize_key(image_id: str) -> str:
    return f"finalize/{image_id}"
