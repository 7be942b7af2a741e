"""What the routes need from outside: the Modal SDK, the app, the Dicts, the settings and a
clock. In production `sdk` is the `modal` module itself; tests pass a fake with the same
surface (tests/fake_modal.py). Every SDK call this app makes is in sandboxes.py, images.py and
here, and uses only:

- `sdk.Sandbox.create(*cmd, app=, image=, env=, timeout=, workdir=, tags=)`, `sdk.Sandbox.from_id(id)`
- on a sandbox: `.object_id`, `.poll()`, `.terminate(wait=True)`,
  `.snapshot_filesystem(timeout, ttl=)`, `.exec(*args)` (then `.wait()`), `.set_tags(tags)`,
  `.filesystem.write_text(data, path)`, `.filesystem.read_text(path)`
- `sdk.Image.from_id(id)` (then `.object_id`), `sdk.Dict.from_name(name, create_if_missing=True)`
- on a Dict: `.get`, `.put(key, value, skip_if_exists=)`, `.pop(key, default)`, `.items()`
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import layout
from .errors import internal
from .settings import Settings
from .store import RUNTIME_VERSION, SANDBOX_IMAGE_ID, Stores, open_stores


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Deps:
    sdk: Any
    app: Any
    stores: Stores
    settings: Settings
    now_ms: Callable[[], int] = field(default=wall_clock_ms)

    @classmethod
    def connect(cls, sdk: Any, app: Any, settings: Settings) -> "Deps":
        return cls(sdk=sdk, app=app, stores=open_stores(sdk, settings.nonce_dict), settings=settings)

    def base_image(self) -> Any:
        """The sandbox image `build_image.py` built at deploy time."""
        image_id = self.stores.config.get(SANDBOX_IMAGE_ID)
        if not image_id:
            raise internal(
                "the sandbox image is not built: run `python -m open_inspect_modal.build_image` "
                "(docs/deploy-modal.md)"
            )
        return self.sdk.Image.from_id(image_id)

    def runtime_version(self) -> str:
        return str(self.stores.config.get(RUNTIME_VERSION) or "unknown")

    def launch(
        self, command: list[str], image: Any, env: dict[str, str], timeout: int, tags: dict[str, str], token: str
    ) -> Any:
        """Starts a sandbox. The environment goes in `env`, never on the command line; the
        sandbox token goes to the supervisor's stdin (its first line), never in the environment.
        If it cannot be handed over, the sandbox is terminated and the error raised."""
        sandbox = self.sdk.Sandbox.create(
            *command,
            app=self.app,
            image=image,
            env=env,
            timeout=timeout,
            workdir=layout.WORKSPACE,
            tags=tags,
        )
        try:
            sandbox.stdin.write(token + "\n")
            sandbox.stdin.write_eof()
            sandbox.stdin.drain()
        except Exception:
            sandbox.terminate()
            raise
        return sandbox
