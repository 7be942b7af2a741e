"""The HTTP contract as one FastAPI app (docs/sandbox-provider.md, "Routes"). Every route but
`GET /v1/health` is signed; every error is `{"error":{"code","message"}}` with its real status.

Handlers are plain `def`s, which FastAPI runs in its thread pool: Modal's blocking SDK calls
then never block the event loop. Only the signature check, which reads the body, is `async`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__, images, sandboxes
from .contract import (
    BuildImage,
    ClaimSandbox,
    CreateSandbox,
    ProviderCapabilities,
    ProviderHealth,
    RestoreSandbox,
    wire,
)
from .deps import Deps
from .errors import ApiError, decode, internal
from .signing import NonceGuard, verify

# The largest signed request body accepted (as the local provider).
MAX_BODY = 1 << 20

CAPABILITIES = ProviderCapabilities(
    snapshot=True, restore=True, persistent_resume=False, images=True, warm_pool=True, network_isolation=False
)


def health_body(deps: Deps) -> ProviderHealth:
    """`ok` is false while the provider lacks its key or its control-plane allowlist."""
    settings = deps.settings
    return ProviderHealth(
        ok=bool(settings.provider_key and settings.allowed_hosts),
        provider="modal",
        version=__version__,
        capabilities=CAPABILITIES,
    )


def _respond(status: int, model: BaseModel) -> JSONResponse:
    return JSONResponse(wire(model), status_code=status)


def _error(e: ApiError) -> JSONResponse:
    return JSONResponse(e.body(), status_code=e.status)


async def _read_body(request: Request) -> bytes:
    too_large = ApiError("payload_too_large", f"the request body is larger than {MAX_BODY} bytes")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(deps: Deps) -> FastAPI:
    api = FastAPI(title="open-inspect-modal", docs_url=None, redoc_url=None, openapi_url=None)
    nonces = NonceGuard(deps.stores.nonces)

    async def signed_body(request: Request) -> bytes:
        """Verifies method, path, raw query and body against the signature, rejects replays,
        and hands the handler the body."""
        key = deps.settings.provider_key
        if not key:
            raise internal("OI_PROVIDER_KEY is not set on the provider, so no request can be verified")
        body = await _read_body(request)
        raw_path = request.scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else request.scope["path"]
        query = request.scope.get("query_string", b"").decode("latin-1")
        header = request.headers.get("authorization")
        now = deps.now_ms()
        verified = verify(key, header, request.method, path, query, body, now)
        if not await run_in_threadpool(nonces.check_and_insert, verified.nonce, verified.ts, now):
            raise ApiError("unauthorized", "the nonce was already used (a replayed request)")
        return body

    @api.exception_handler(ApiError)
    async def api_error(_: Request, e: ApiError) -> JSONResponse:
        return _error(e)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, e: StarletteHTTPException) -> JSONResponse:
        if e.status_code == 404:
            return _error(ApiError("not_found", "no such route"))
        if e.status_code == 405:
            return _error(ApiError("method_not_allowed", "this route does not take that method"))
        return _error(internal(str(e.detail)))

    @api.exception_handler(Exception)
    async def unexpected(_: Request, e: Exception) -> JSONResponse:
        return _error(internal(f"{type(e).__name__}: {e}"))

    @api.get("/v1/health")
    def health() -> JSONResponse:
        return _respond(200, health_body(deps))

    @api.post("/v1/sandboxes")
    def create(body: bytes = Depends(signed_body)) -> JSONResponse:
        return _respond(201, sandboxes.create(deps, decode(CreateSandbox, body)))

    @api.post("/v1/sandboxes/restore")
    def restore(body: bytes = Depends(signed_body)) -> JSONResponse:
        return _respond(201, sandboxes.restore(deps, decode(RestoreSandbox, body)))

    @api.get("/v1/sandboxes/{sandbox_id}")
    def show(sandbox_id: str, _: Any = Depends(signed_body)) -> JSONResponse:
        return _respond(200, sandboxes.show(deps, sandbox_id))

    @api.delete("/v1/sandboxes/{sandbox_id}")
    def terminate(sandbox_id: str, _: Any = Depends(signed_body)) -> JSONResponse:
        return _respond(200, sandboxes.terminate(deps, sandbox_id))

    @api.post("/v1/sandboxes/{sandbox_id}/snapshot")
    def snapshot(sandbox_id: str, _: Any = Depends(signed_body)) -> JSONResponse:
        return _respond(201, sandboxes.snapshot(deps, sandbox_id))

    @api.post("/v1/sandboxes/{sandbox_id}/claim")
    def claim(sandbox_id: str, body: bytes = Depends(signed_body)) -> JSONResponse:
        return _respond(200, sandboxes.claim(deps, sandbox_id, decode(ClaimSandbox, body)))

    @api.post("/v1/images")
    def build(body: bytes = Depends(signed_body)) -> JSONResponse:
        return _respond(202, images.start(deps, decode(BuildImage, body)))

    @api.get("/v1/images/{image_id}")
    def show_image(image_id: str, _: Any = Depends(signed_body)) -> JSONResponse:
        return _respond(200, images.show(deps, image_id))

    @api.delete("/v1/images/{image_id}")
    def delete_image(image_id: str, _: Any = Depends(signed_body)) -> JSONResponse:
        return _respond(200, images.delete(deps, image_id))

    return api
