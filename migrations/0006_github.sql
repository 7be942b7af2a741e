-- GitHub: the App's installations and the repositories they reach (kept current by the
-- installation webhooks), cached installation tokens and users' own tokens (sealed with the
-- secrets key, like secrets), sessions' pull requests (so a webhook finds its session), and
-- webhook deliveries seen (GitHub signs no timestamp: a replayed delivery id is ignored).

CREATE TABLE github_installations (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE github_repos (
  full_name TEXT PRIMARY KEY COLLATE NOCASE,
  installation_id TEXT NOT NULL,
  default_branch TEXT,
  private INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX github_repos_by_installation ON github_repos (installation_id);

-- Tokens the control plane holds: `installation:<id>` (1 h) and `user:<user id>` (the user's
-- OAuth token from sign-in). Never sent to a sandbox, never logged.
CREATE TABLE github_tokens (
  key TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  expires_at INTEGER,                   -- Unix seconds; NULL: no expiry known
  updated_at INTEGER NOT NULL
);

CREATE TABLE pull_requests (
  repo TEXT NOT NULL COLLATE NOCASE,
  number INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  head_sha TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repo, number)
);
CREATE INDEX pull_requests_by_session ON pull_requests (session_id);

CREATE TABLE github_deliveries (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
);
