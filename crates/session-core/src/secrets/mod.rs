//! Secrets a repository's dev environment needs: the decisions, with no I/O.
//!
//! - [`names`]: which names a secret may have (environment-variable syntax, nothing reserved).
//! - [`limits`]: how many and how large, per value, per scope and per session.
//! - [`crypto`]: AES-256-GCM sealing bound to scope, owner and name, with key ids for rotation.
//! - [`dotenv`]: a pasted `.env` file as name/value pairs.
//! - [`merge`]: what a sandbox receives (global overlaid by the repository's).
//! - [`provenance`]: what the session is told about who set its sandbox's secrets.

pub mod crypto;
pub mod dotenv;
pub mod limits;
pub mod merge;
pub mod names;
pub mod provenance;

use oi_protocol::ErrorCode;

/// Why a secret request is refused: a code for programs and a message naming the problem.
/// Values never appear in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRefusal {
    pub code: ErrorCode,
    pub message: String,
}

impl SecretRefusal {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        SecretRefusal { code: ErrorCode::InvalidRequest, message: message.into() }
    }

    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        SecretRefusal { code: ErrorCode::PayloadTooLarge, message: message.into() }
    }
}

impl std::fmt::Display for SecretRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SecretRefusal {}

impl From<SecretRefusal> for oi_protocol::ApiError {
    fn from(r: SecretRefusal) -> Self {
        oi_protocol::ApiError::new(r.code, r.message)
    }
}

/// The longest repository name a scope may carry.
pub const MAX_SCOPE_REPO_CHARS: usize = 1000;

/// Checks a scope's repository: not too long, no control characters.
pub fn check_scope(scope: &oi_protocol::secrets::SecretScope) -> Result<(), SecretRefusal> {
    let repo = scope.owner();
    if repo.chars().count() > MAX_SCOPE_REPO_CHARS {
        return Err(SecretRefusal::invalid(format!("`repo` is longer than {MAX_SCOPE_REPO_CHARS} characters")));
    }
    if repo.chars().any(char::is_control) {
        return Err(SecretRefusal::invalid("`repo` contains a control character"));
    }
    Ok(())
}
