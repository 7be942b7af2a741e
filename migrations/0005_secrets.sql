-- Secrets a repository's dev environment needs. Values are AES-256-GCM ciphertexts bound to
-- (scope_kind, scope_owner, name) by their associated data; key_id names the key that sealed them.
CREATE TABLE secrets (
  scope_kind TEXT NOT NULL CHECK (scope_kind IN ('global', 'repo')),
  scope_owner TEXT NOT NULL,            -- '' for global, else the repository
  name TEXT NOT NULL,
  key_id TEXT NOT NULL,
  nonce TEXT NOT NULL,                  -- base64, 12 bytes
  ciphertext TEXT NOT NULL,             -- base64, with the GCM tag
  size INTEGER NOT NULL,                -- the value's length in bytes
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (scope_kind, scope_owner, name)
);
CREATE INDEX secrets_by_key ON secrets (key_id);

-- Who created, changed or deleted which secret, and when. Never a value.
CREATE TABLE secret_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'reencrypted')),
  scope_kind TEXT NOT NULL,
  scope_owner TEXT NOT NULL,
  name TEXT NOT NULL
);
CREATE INDEX secret_audit_by_scope ON secret_audit (scope_kind, scope_owner, id DESC);
