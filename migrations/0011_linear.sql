-- Linear (docs/linear.md): each Linear agent session and the Open Inspect session working on
-- it, what was already said there (bounded), and a request waiting for its repository.

CREATE TABLE linear_sessions (
  agent_session_id TEXT PRIMARY KEY,  -- Linear's agent session
  session_id       TEXT,              -- ours; NULL while it waits for a repository
  issue_id         TEXT,
  request          TEXT NOT NULL,     -- the `created` delivery, as parsed (JSON)
  candidates       TEXT,              -- repositories offered in an elicitation (JSON), while waiting
  actions_posted   INTEGER NOT NULL DEFAULT 0,
  state_moved      INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL
);
CREATE INDEX linear_sessions_by_session ON linear_sessions (session_id);
