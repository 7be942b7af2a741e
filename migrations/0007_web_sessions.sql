-- Web sessions: what GitHub said about a person at sign-in (a rotation checks the allowlist
-- against it again), and the sessions ended before they expire (sign-out, or a person removed),
-- kept until they would have expired.
ALTER TABLE users ADD COLUMN identity TEXT;

CREATE TABLE revoked_web_sessions (
  jti        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
