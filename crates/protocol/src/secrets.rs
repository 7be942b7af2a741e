//! Secrets a repository's dev environment needs, under `/api/secrets`. Values go in and never
//! come out: every response names secrets and shows them masked.
//!
//! A scope is the deployment (`global`, admins only) or one repository (`?repo=`, any member).
//! A sandbox receives the global secrets overlaid by its repository's, as environment variables.

use serde::{Deserialize, Serialize};

/// Where a secret applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SecretScope {
    /// Every session.
    Global,
    /// Sessions on one repository (its name as sessions give it: a URL, a path or `owner/name`).
    Repo { repo: String },
}

impl SecretScope {
    /// From the `repo` query parameter: absent or empty means global.
    pub fn from_query(repo: Option<&str>) -> Self {
        match repo.map(str::trim).filter(|r| !r.is_empty()) {
            Some(repo) => SecretScope::Repo { repo: repo.to_string() },
            None => SecretScope::Global,
        }
    }

    /// `global` or `repo`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretScope::Global => "global",
            SecretScope::Repo { .. } => "repo",
        }
    }

    /// The repository, or `""` for global.
    pub fn owner(&self) -> &str {
        match self {
            SecretScope::Global => "",
            SecretScope::Repo { repo } => repo,
        }
    }
}

/// What is shown of a value: always this, whatever the value.
pub const MASK: &str = "••••••••";

/// One secret as the API shows it: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    pub name: String,
    /// Always [`MASK`].
    pub masked: String,
    /// The value's size in bytes.
    pub size: u32,
    /// Unix milliseconds.
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// `GET /api/secrets[?repo=]` → 200: the scope's secrets by name, and how much room is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretList {
    pub scope: SecretScope,
    pub secrets: Vec<SecretInfo>,
    /// Names and values together, in bytes.
    pub used_bytes: u32,
    pub limits: SecretLimits,
}

/// The limits the API enforces (the constants in [`crate::limits`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretLimits {
    pub per_scope: u32,
    pub value_bytes: u32,
    pub scope_bytes: u32,
    pub session_bytes: u32,
}

impl SecretLimits {
    pub fn current() -> Self {
        use crate::limits::*;
        SecretLimits {
            per_scope: MAX_SECRETS_PER_SCOPE as u32,
            value_bytes: MAX_SECRET_VALUE_BYTES as u32,
            scope_bytes: MAX_SECRET_SCOPE_BYTES as u32,
            session_bytes: MAX_SECRET_SESSION_BYTES as u32,
        }
    }
}

/// `PUT /api/secrets/:name[?repo=]` → 200 [`SecretInfo`] (201 when new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSecretRequest {
    pub value: String,
}

/// `POST /api/secrets/import[?repo=]` → 200: set every variable of a `.env` file at once
/// (all or nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSecretsRequest {
    /// The file's text: `NAME=value` lines, `export ` prefixes, quotes and `#` comments.
    pub dotenv: String,
}

/// The answer to an import: which names were new and which replaced a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSecretsResult {
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// What happened to a secret, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretAction {
    Created,
    Updated,
    Deleted,
    /// Re-encrypted under a new key (by the rotation; the value is unchanged).
    Reencrypted,
}

/// One audit entry. Never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAuditEntry {
    /// Unix milliseconds.
    pub at: i64,
    /// Who did it (a user id, or `system` for the key rotation).
    pub actor: String,
    pub action: SecretAction,
    pub scope: SecretScope,
    pub name: String,
}

/// `GET /api/secrets/audit[?repo=]` → 200: newest first, at most 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAuditLog {
    pub entries: Vec<SecretAuditEntry>,
}

/// `POST /api/secrets/rotate` (admins) → 200: every secret not under the current key is
/// re-encrypted under it. Safe to repeat; the cron trigger runs it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateSecretsResult {
    /// The current key's id.
    pub key_id: String,
    /// Secrets re-encrypted by this call.
    pub reencrypted: u32,
    /// Secrets already under the current key.
    pub current: u32,
    /// Secrets no configured key opens (scope and name), which are left as they are.
    pub unreadable: Vec<String>,
}
