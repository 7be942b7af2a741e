-- Sessions started without a person at the keyboard (docs/automations.md, docs/integrations.md):
-- every session's origin, automations and their runs, the integrations' settings and sealed
-- secrets, and the log of vendor deliveries (which also dedupes them).

-- Where a session came from: its kind (to filter on) and the whole origin as protocol JSON
-- (`SessionOrigin`), when it has more than a kind.
ALTER TABLE sessions ADD COLUMN origin_kind TEXT NOT NULL DEFAULT 'web';
ALTER TABLE sessions ADD COLUMN origin TEXT;
CREATE INDEX sessions_by_origin ON sessions (archived, origin_kind, updated_at DESC, id DESC);

CREATE TABLE automations (
  id                   TEXT PRIMARY KEY,
  owner_id             TEXT NOT NULL,
  owner                TEXT NOT NULL,          -- protocol JSON `User`
  name                 TEXT NOT NULL,
  repo                 TEXT NOT NULL,
  branch               TEXT NOT NULL,
  model                TEXT NOT NULL,
  prompt               TEXT NOT NULL,
  trigger_kind         TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'webhook', 'sentry')),
  trigger              TEXT NOT NULL,          -- protocol JSON `Trigger`
  enabled              INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  paused_reason        TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  next_run_at          INTEGER,                -- a schedule's next slot (ms); moved by compare-and-swap
  secret_key_id        TEXT NOT NULL,          -- the automation's secret, sealed like secrets
  secret_nonce         TEXT NOT NULL,
  secret_ciphertext    TEXT NOT NULL,
  callback_url         TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX automations_due ON automations (trigger_kind, enabled, next_run_at);
CREATE INDEX automations_by_owner ON automations (owner_id, created_at DESC);

-- A slot runs once (UNIQUE automation_id, slot) and a key starts one run (a webhook's
-- idempotency key, a Sentry issue); a Sentry issue's later events are follow-ups in its run's
-- session.
CREATE TABLE automation_runs (
  id            TEXT PRIMARY KEY,
  automation_id TEXT NOT NULL,
  trigger       TEXT NOT NULL,
  slot          INTEGER,
  key           TEXT,
  status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  reason        TEXT,
  session_id    TEXT,
  prompt        TEXT NOT NULL,                 -- the prompt it sends (rendered when triggered)
  prompt_id     TEXT,                          -- the id the session gave it; its end ends the run
  follow_up     INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1)),
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  UNIQUE (automation_id, slot)
);
CREATE UNIQUE INDEX automation_runs_by_key ON automation_runs (automation_id, key) WHERE key IS NOT NULL AND follow_up = 0;
CREATE INDEX automation_runs_recent ON automation_runs (automation_id, created_at DESC, id DESC);
CREATE INDEX automation_runs_by_prompt ON automation_runs (session_id, prompt_id);

-- Each integration's settings (`sentry`, later `slack`, `github`, `linear`): on or off and its
-- configuration (no secrets here).
CREATE TABLE integration_settings (
  name       TEXT PRIMARY KEY,
  enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
  config     TEXT NOT NULL DEFAULT '{}',
  updated_by TEXT,
  updated_at INTEGER NOT NULL
);

-- An integration's credentials, sealed like secrets; used only by that integration, never sent
-- to a sandbox.
CREATE TABLE integration_secrets (
  integration TEXT NOT NULL,
  name        TEXT NOT NULL,
  key_id      TEXT NOT NULL,
  nonce       TEXT NOT NULL,
  ciphertext  TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (integration, name)
);

-- A vendor's user acts as this person (an admin's explicit link; otherwise the verified email
-- decides, see oi_integrations::people).
CREATE TABLE integration_links (
  integration    TEXT NOT NULL,
  vendor_user_id TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (integration, vendor_user_id)
);

-- Deliveries from vendors and webhook callers: what came, what became of it and why. A
-- delivery id seen before (per source) is a duplicate. Rows expire.
CREATE TABLE deliveries (
  id           TEXT PRIMARY KEY,
  source       TEXT NOT NULL,                  -- `sentry`, `automation:<id>`, …
  delivery_key TEXT,                           -- the vendor's delivery id, when it sends one
  received_at  INTEGER NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('started', 'ignored', 'refused')),
  status       INTEGER NOT NULL,
  reason       TEXT,
  run_id       TEXT,
  session_id   TEXT,
  expires_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX deliveries_dedupe ON deliveries (source, delivery_key) WHERE delivery_key IS NOT NULL;
CREATE INDEX deliveries_recent ON deliveries (source, received_at DESC);
CREATE INDEX deliveries_expiry ON deliveries (expires_at);
