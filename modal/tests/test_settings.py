from __future__ import annotations

import pytest

from open_inspect_modal.settings import Settings


def test_from_env_defaults_and_values() -> None:
    s = Settings.from_env({"OI_PROVIDER_KEY": "k", "ALLOWED_CONTROL_PLANE_HOSTS": "a.example,b:1"})
    assert s.provider_key == b"k" and s.allowed_hosts == ("a.example", "b:1")
    assert (s.sandbox_timeout_s, s.build_timeout_s, s.snapshot_ttl_s) == (4 * 3600, 3600, 30 * 24 * 3600)
    s = Settings.from_env({"OI_SANDBOX_TIMEOUT_SECONDS": "600", "OI_BUILD_TIMEOUT_SECONDS": "7200",
                           "OI_SNAPSHOT_TTL_SECONDS": "none"})
    assert s.provider_key is None and s.allowed_hosts is None
    assert (s.sandbox_timeout_s, s.build_timeout_s, s.snapshot_ttl_s) == (600, 7200, None)
    assert s.nonce_dict == "open-inspect-nonces"
    assert Settings.from_env({"OI_NONCE_DICT": " staging.nonces_2 "}).nonce_dict == "staging.nonces_2"


@pytest.mark.parametrize("env", [{"OI_SANDBOX_TIMEOUT_SECONDS": "-1"}, {"OI_BUILD_TIMEOUT_SECONDS": "1h"},
                                 {"OI_SANDBOX_TIMEOUT_SECONDS": "90000"}, {"OI_SNAPSHOT_TTL_SECONDS": "0"},
                                 {"OI_NONCE_DICT": "no spaces"}, {"OI_NONCE_DICT": "x" * 65},
                                 {"OI_NONCE_DICT": "open-inspect-sandboxes"}])
def test_bad_values_fail_loudly(env) -> None:
    with pytest.raises(ValueError):
        Settings.from_env(env)
