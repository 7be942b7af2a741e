-- Slack (docs/slack.md): the threads the agent works in, and requests waiting for someone to
-- choose a repository.

CREATE TABLE slack_threads (
  channel     TEXT NOT NULL,
  thread_ts   TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  status_ts   TEXT,                 -- the status message, updated in place
  last_answer TEXT,
  finished_prompt TEXT,             -- the prompt whose end the status message shows
  started_at  INTEGER NOT NULL,     -- replies become follow-ups for 7 days from here
  PRIMARY KEY (channel, thread_ts)
);
CREATE INDEX slack_threads_by_session ON slack_threads (session_id);

CREATE TABLE slack_requests (
  key        TEXT PRIMARY KEY,      -- `<channel>/<ts>` of the request
  channel    TEXT NOT NULL,
  ts         TEXT NOT NULL,
  thread_ts  TEXT,
  user       TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
