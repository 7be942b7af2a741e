"""The Modal entry point: `modal deploy -m open_inspect_modal.app` (docs/deploy-modal.md).

One ASGI web function serves the whole contract at `https://<workspace>--open-inspect-web.modal.run`.
Its only secret is `open-inspect-provider` (`OI_PROVIDER_KEY`, `ALLOWED_CONTROL_PLANE_HOSTS`, …);
sandboxes get none of it (env.py builds their environment from scratch).
"""

from __future__ import annotations

import modal

APP_NAME = "open-inspect"
SECRET_NAME = "open-inspect-provider"

app = modal.App(APP_NAME)

web_image = (
    modal.Image.debian_slim(python_version="3.12")
    .pip_install("modal==1.6.4", "fastapi>=0.110", "pydantic>=2")
    .add_local_python_source("open_inspect_modal")
)


@app.function(
    image=web_image,
    secrets=[modal.Secret.from_name(SECRET_NAME, required_keys=["OI_PROVIDER_KEY"])],
    # A snapshot may take minutes (snapshot_timeout_s is 300 s).
    timeout=600,
)
@modal.concurrent(max_inputs=32)
@modal.asgi_app()
def web():  # type: ignore[no-untyped-def]
    from open_inspect_modal.deps import Deps
    from open_inspect_modal.settings import Settings
    from open_inspect_modal.web import create_app

    return create_app(Deps.connect(modal, app, Settings.from_env()))
