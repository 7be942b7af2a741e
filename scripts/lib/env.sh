# Shared environment for the project's scripts. Source it; it changes nothing on disk.
#
# Everything the scripts install lives outside the clone, under $OI_CACHE, so a fresh clone
# reuses it: pinned tools in $OI_CACHE/tools, Cargo's build output in $OI_CACHE/target.

OI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OI_CACHE="${OI_CACHE:-$HOME/.cache/open-inspect}"
export OI_ROOT OI_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$OI_CACHE/target}"
export PATH="$OI_CACHE/tools/bin:$OI_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
# worker-build must never download from GitHub: point it at the pinned local tools.
export WASM_BINDGEN_BIN="$OI_CACHE/tools/bin/wasm-bindgen"
export ESBUILD_BIN="$OI_ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"

# Pinned versions (wasm-bindgen-cli follows Cargo.lock; see scripts/setup).
WORKER_BUILD_VERSION="0.8.7"
OPENCODE_VERSION="$(awk -F'"' '/"opencode-linux-x64":/ {print $4; exit}' "$OI_ROOT/tools/opencode/package.json")"
export OI_OPENCODE_BIN="$OI_CACHE/opencode-$OPENCODE_VERSION/node_modules/opencode-linux-x64/bin/opencode"

# `opencode --version` writes its XDG folders; point them at the cache, not $HOME.
opencode_version() {
  XDG_DATA_HOME="$OI_CACHE/opencode-probe" XDG_CONFIG_HOME="$OI_CACHE/opencode-probe" \
    XDG_CACHE_HOME="$OI_CACHE/opencode-probe" XDG_STATE_HOME="$OI_CACHE/opencode-probe" \
    "$OI_OPENCODE_BIN" --version 2>/dev/null
}

log() { printf '\033[1;34m[open-inspect]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[open-inspect] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version Cargo.lock resolved; the CLI must be exactly this.
lock_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$OI_ROOT/Cargo.lock"
}
