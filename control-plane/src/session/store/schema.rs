//! The session Durable Object's SQLite schema. Everything that matters lives here, so the
//! session survives eviction, hibernation and restarts.

/// Columns added to existing tables later; each is tried once per start and may already exist.
pub const ADDED_COLUMNS: &[&str] = &[
    "ALTER TABLE meta ADD COLUMN private INTEGER NOT NULL DEFAULT 0",
    // The session's origin as protocol JSON (`SessionOrigin`); none: the web page.
    "ALTER TABLE meta ADD COLUMN origin TEXT",
    // Where the work is pushed when it is not `oi/<session>` (a pull request's head branch).
    "ALTER TABLE meta ADD COLUMN work_branch TEXT",
];

pub const SCHEMA: &[&str] = &[
    // One row: the session and its sandbox.
    "CREATE TABLE IF NOT EXISTS meta (
        id                   INTEGER PRIMARY KEY CHECK (id = 1),
        session_id           TEXT NOT NULL,
        repo                 TEXT NOT NULL,
        branch               TEXT NOT NULL,
        model                TEXT NOT NULL,
        title                TEXT,
        status               TEXT NOT NULL,
        archived             INTEGER NOT NULL DEFAULT 0,
        created_by           TEXT NOT NULL,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL,
        last_seq             INTEGER NOT NULL DEFAULT 0,
        sandbox_status       TEXT NOT NULL DEFAULT 'none',
        sandbox_id           TEXT,
        sandbox_token_hash   TEXT,
        bridge_acked_through INTEGER NOT NULL DEFAULT 0,
        bridge_connection    TEXT,
        bridge_runtime       TEXT
    )",
    // The event log. `json` is the whole protocol SessionEvent.
    "CREATE TABLE IF NOT EXISTS events (
        seq        INTEGER PRIMARY KEY,
        message_id TEXT,
        json       TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS events_by_message ON events (message_id) WHERE message_id IS NOT NULL",
    // The prompt queue, in arrival order.
    "CREATE TABLE IF NOT EXISTS prompts (
        ord               INTEGER PRIMARY KEY,
        message_id        TEXT NOT NULL UNIQUE,
        client_request_id TEXT NOT NULL UNIQUE,
        text              TEXT NOT NULL,
        model             TEXT,
        author            TEXT NOT NULL,
        status            TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        started_at        INTEGER,
        finished_at       INTEGER
    )",
    // At most one prompt holds the sandbox.
    "CREATE UNIQUE INDEX IF NOT EXISTS one_active_prompt
        ON prompts ((status IN ('processing', 'stopping')))
        WHERE status IN ('processing', 'stopping')",
    "CREATE INDEX IF NOT EXISTS prompts_unfinished ON prompts (status, ord)",
    // One row: the lifecycle facts the alarm decides on (session-core's lifecycle::Facts).
    "CREATE TABLE IF NOT EXISTS lifecycle (
        id                  INTEGER PRIMARY KEY CHECK (id = 1),
        requested_at        INTEGER,
        last_heartbeat      INTEGER,
        last_activity       INTEGER,
        extended_until      INTEGER,
        warm_requested_at   INTEGER,
        ran_prompt          INTEGER NOT NULL DEFAULT 0,
        snapshot_id         TEXT,
        snapshot_generation INTEGER,
        snapshot_due        INTEGER NOT NULL DEFAULT 0,
        spawn_failures      TEXT NOT NULL DEFAULT '[]',
        retry_at            INTEGER,
        blocked_reported    INTEGER,
        capabilities        TEXT,
        capabilities_at     INTEGER
    )",
    "INSERT OR IGNORE INTO lifecycle (id) VALUES (1)",
    // Client WebSocket tokens: only their hashes, each for one person, used once.
    "CREATE TABLE IF NOT EXISTS ws_tokens (
        hash       TEXT PRIMARY KEY,
        user       TEXT NOT NULL,
        role       TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    )",
    // One row: the session's pull request (protocol `PullRequest`), once opened.
    "CREATE TABLE IF NOT EXISTS pull_request (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        json TEXT NOT NULL
    )",
    // What the session's origin is to be told (store/notices.rs).
    "CREATE TABLE IF NOT EXISTS origin_notices (
        id   TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0
    )",
    // The session's media (store/media.rs); the bytes are in R2.
    "CREATE TABLE IF NOT EXISTS media (
        media_id   TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        json       TEXT NOT NULL,
        message_id TEXT,
        position   INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    )",
    // Model tokens used through the model proxy, per `provider/model`.
    "CREATE TABLE IF NOT EXISTS model_usage (
        model         TEXT PRIMARY KEY,
        requests      INTEGER NOT NULL,
        input_tokens  INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL
    )",
];
