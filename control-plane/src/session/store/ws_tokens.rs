//! Client WebSocket tokens: only their hashes, each for one person, used once.

use oi_protocol::{Role, User};
use oi_session_core::lifecycle::Millis;
use worker::Result;

use super::{from_json, json, SqlExec, Store};

/// A stored token.
#[derive(Debug, Clone, PartialEq)]
pub struct WsTokenRow {
    pub hash: String,
    pub user: User,
    pub role: Role,
    pub expires_at: Millis,
}

fn role_name(role: Role) -> &'static str {
    if role == Role::Admin {
        "admin"
    } else {
        "member"
    }
}

impl<S: SqlExec> Store<S> {
    /// Keeps a new token's hash; expired ones are dropped on the way.
    pub fn insert_ws_token(&self, row: &WsTokenRow, now: Millis) -> Result<()> {
        self.run("DELETE FROM ws_tokens WHERE expires_at <= ?", vec![now.into()])?;
        self.run(
            "INSERT INTO ws_tokens (hash, user, role, expires_at) VALUES (?, ?, ?, ?)",
            vec![row.hash.as_str().into(), json(&row.user)?.into(), role_name(row.role).into(), row.expires_at.into()],
        )
    }

    pub fn ws_token(&self, hash: &str) -> Result<Option<WsTokenRow>> {
        let rows = self.rows("SELECT hash, user, role, expires_at FROM ws_tokens WHERE hash = ?", vec![hash.into()])?;
        rows.first()
            .map(|r| {
                Ok(WsTokenRow {
                    hash: r.text(0)?,
                    user: from_json(&r.text(1)?)?,
                    role: if r.text(2)? == "admin" { Role::Admin } else { Role::Member },
                    expires_at: r.int(3)?,
                })
            })
            .transpose()
    }

    pub fn delete_ws_token(&self, hash: &str) -> Result<()> {
        self.run("DELETE FROM ws_tokens WHERE hash = ?", vec![hash.into()])
    }
}
