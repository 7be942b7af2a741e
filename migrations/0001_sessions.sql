-- The cross-session index. Each session's own state lives in its Durable Object; this is the
-- projection used to list sessions and to reject requests for unknown ones cheaply.

CREATE TABLE IF NOT EXISTS users (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  email      TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
  id            TEXT PRIMARY KEY,
  repo          TEXT NOT NULL,
  branch        TEXT NOT NULL,
  model         TEXT NOT NULL,
  title         TEXT,
  status        TEXT NOT NULL CHECK (status IN ('created', 'running', 'idle', 'failed')),
  archived      INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  created_by_id TEXT NOT NULL,
  created_by    TEXT NOT NULL, -- the creator as protocol JSON {id, name, email}
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions (archived, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS sessions_by_status ON sessions (archived, status, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS sessions_by_creator ON sessions (created_by_id, updated_at DESC);
