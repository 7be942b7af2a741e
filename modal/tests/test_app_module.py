"""The Modal entry point and the image definition load against the real SDK (no network: Modal
objects are lazy until deployed). Skipped when modal is not installed."""

from __future__ import annotations

import pytest

modal = pytest.importorskip("modal")


def test_the_app_defines_one_web_function() -> None:
    from open_inspect_modal import app

    assert app.app.name == "open-inspect"
    assert app.SECRET_NAME == "open-inspect-provider"
    assert isinstance(app.web, modal.Function)


def test_the_sandbox_image_needs_the_supervisor_binary(tmp_path) -> None:
    from open_inspect_modal.image import sandbox_image

    with pytest.raises(FileNotFoundError):
        sandbox_image(tmp_path / "missing")
    binary = tmp_path / "sandbox-agent"
    binary.write_bytes(b"\x7fELF")
    assert isinstance(sandbox_image(binary), modal.Image)


def test_build_image_reads_the_supervisor_version(tmp_path) -> None:
    from open_inspect_modal.build_image import probe_version

    script = tmp_path / "sandbox-agent"
    script.write_text("#!/bin/sh\necho 'sandbox-agent 0.1.0'\n")
    script.chmod(0o755)
    assert probe_version(script) == "0.1.0"
    assert probe_version(tmp_path / "missing") == "unknown"
