"""Where things are inside a sandbox built from `image.py`'s image. Snapshots and repo images
are whole-filesystem copies (`snapshot_filesystem`), so these paths hold across restores."""

# The supervisor (`sandbox-agent`), baked into the image.
AGENT_BIN = "/usr/local/bin/sandbox-agent"
# The pinned OpenCode: `npm install -g --prefix /opt/opencode opencode-linux-x64@<version>`.
OPENCODE_VERSION = "1.18.33"
OPENCODE_PREFIX = "/opt/opencode"
OPENCODE_BIN = f"{OPENCODE_PREFIX}/lib/node_modules/opencode-linux-x64/bin/opencode"

# `OI_WORKSPACE`: the checkout, and the sandbox's working directory.
WORKSPACE = "/workspace"
# `OI_STATE_DIR`: the supervisor's and OpenCode's state; `HOME` lives inside it.
STATE_DIR = "/oi/state"
HOME = f"{STATE_DIR}/home"
# Where a warm-pool sandbox finds the session that claimed it.
CLAIM_FILE = f"{STATE_DIR}/claim.json"
# What a successful build leaves (`{"base_sha": …}`).
IMAGE_FILE = f"{STATE_DIR}/image.json"

# A build sandbox's wrapper writes these (see sandboxes.build_command).
BUILD_DIR = "/oi/build"
BUILD_LOG = f"{BUILD_DIR}/log"
BUILD_LOG_TAIL = f"{BUILD_DIR}/log.tail"
BUILD_EXIT = f"{BUILD_DIR}/exit"
# The end of the build log an `ImageInfo` carries.
LOG_TAIL_BYTES = 16 * 1024
