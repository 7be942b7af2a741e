-- Identity: GitHub sign-in, roles. A user signed in with GitHub has id `gh-<github id>`;
-- local-mode people keep their `local…` ids and no GitHub columns.

ALTER TABLE users ADD COLUMN github_id INTEGER;
ALTER TABLE users ADD COLUMN login TEXT;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member'));
ALTER TABLE users ADD COLUMN avatar_url TEXT;
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;

CREATE UNIQUE INDEX IF NOT EXISTS users_by_github_id ON users (github_id) WHERE github_id IS NOT NULL;
