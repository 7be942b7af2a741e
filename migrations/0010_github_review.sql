-- The GitHub review bot (docs/github.md): what GitHub said about who may ask (kept a few
-- minutes), and each pull request session's latest request (where answers go, who asked).

CREATE TABLE github_permissions (
  repo       TEXT NOT NULL COLLATE NOCASE,
  login      TEXT NOT NULL COLLATE NOCASE,
  permission TEXT,                  -- admin, maintain, write, triage, read, none; NULL: no such user
  checked_at INTEGER NOT NULL,
  PRIMARY KEY (repo, login)
);

CREATE TABLE github_review_sessions (
  session_id   TEXT PRIMARY KEY,
  repo         TEXT NOT NULL,
  number       INTEGER NOT NULL,
  request      TEXT NOT NULL,       -- the latest request (`Trigger` JSON): its asker and comment
  pr_author    TEXT NOT NULL,
  updated_at   INTEGER NOT NULL
);
