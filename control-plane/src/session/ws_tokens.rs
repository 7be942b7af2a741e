//! Client WebSocket tokens: minted for a signed-in participant, stored only as hashes, good
//! for one connection to this session within five minutes.

use oi_protocol::rest::WsTokenGrant;
use oi_protocol::{ApiError, ErrorCode, Role, User};
use oi_session_core::auth::tokens::{check_ws_token, WsTokenRecord, WS_TOKEN_TTL_MS};
use serde::Deserialize;

use super::SessionObject;
use crate::http::Outcome;
use crate::ids;

#[derive(Deserialize)]
struct Row {
    hash: String,
    user: String,
    role: String,
    expires_at: i64,
}

impl SessionObject {
    /// Mints a token for `user`; expired ones are dropped on the way.
    pub(super) fn mint_ws_token(&self, user: &User, role: Role) -> Outcome<WsTokenGrant> {
        let now = ids::now_ms();
        let token = ids::new_token();
        let expires_at = now + WS_TOKEN_TTL_MS;
        self.store.run("DELETE FROM ws_tokens WHERE expires_at <= ?", vec![(now as f64).into()])?;
        self.store.run(
            "INSERT INTO ws_tokens (hash, user, role, expires_at) VALUES (?, ?, ?, ?)",
            vec![
                ids::sha256_hex(&token).into(),
                serde_json::to_string(user)?.into(),
                if role == Role::Admin { "admin" } else { "member" }.into(),
                (expires_at as f64).into(),
            ],
        )?;
        Ok(WsTokenGrant { token, expires_at })
    }

    /// Checks and uses up a presented token; answers whose it was.
    pub(super) fn redeem_ws_token(&self, token: Option<&str>) -> Outcome<(User, Role)> {
        let token = token.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "a client socket needs `?token=` from POST /api/sessions/:id/ws-token",
            )
        })?;
        let hash = ids::sha256_hex(token);
        let session_id = self.meta()?.summary.id;
        let row: Option<Row> =
            self.store.rows("SELECT * FROM ws_tokens WHERE hash = ?", vec![hash.clone().into()])?.into_iter().next();
        let record = row.as_ref().map(|r| WsTokenRecord {
            hash: r.hash.clone(),
            user_id: String::new(),
            session_id: session_id.clone(),
            expires_at_ms: r.expires_at,
        });
        check_ws_token(record.as_ref(), &hash, &session_id, ids::now_ms())
            .map_err(|denied| ApiError::new(ErrorCode::Unauthorized, denied.to_string()))?;
        self.store.run("DELETE FROM ws_tokens WHERE hash = ?", vec![hash.into()])?;
        let row = row.expect("checked above");
        let user: User = serde_json::from_str(&row.user)?;
        Ok((user, if row.role == "admin" { Role::Admin } else { Role::Member }))
    }
}
