-- Prebuilt repo images (a provider's `/v1/images`) and warm-pool sandboxes.

CREATE TABLE IF NOT EXISTS repo_images (
  image_id           TEXT PRIMARY KEY,
  repo               TEXT NOT NULL,
  branch             TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('building', 'ready', 'failed', 'deleted')),
  created_at         INTEGER NOT NULL,
  finished_at        INTEGER,
  base_sha           TEXT,
  runtime_generation INTEGER,
  error              TEXT,
  log_tail           TEXT,
  size_bytes         INTEGER,
  reason             TEXT NOT NULL -- 'schedule' or 'manual'
);

CREATE INDEX IF NOT EXISTS repo_images_by_repo ON repo_images (repo, branch, status, created_at DESC);

CREATE TABLE IF NOT EXISTS warm_sandboxes (
  sandbox_id  TEXT PRIMARY KEY,
  repo        TEXT NOT NULL,
  branch      TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('warming', 'claimed', 'gone')),
  created_at  INTEGER NOT NULL,
  image_id    TEXT,
  session_id  TEXT,
  claimed_at  INTEGER
);

CREATE INDEX IF NOT EXISTS warm_sandboxes_by_repo ON warm_sandboxes (repo, branch, status, created_at);
