//! Client WebSocket tokens: minted for a signed-in participant, stored only as hashes, good
//! for one connection to this session within five minutes.

use oi_protocol::rest::WsTokenGrant;
use oi_protocol::{ApiError, ErrorCode, Role, User};
use oi_session_core::auth::tokens::{check_ws_token, WsTokenRecord, WS_TOKEN_TTL_MS};

use super::store::WsTokenRow;
use super::SessionObject;
use crate::http::Outcome;
use crate::ids;

impl SessionObject {
    /// Mints a token for `user`; expired ones are dropped on the way.
    pub(super) fn mint_ws_token(&self, user: &User, role: Role) -> Outcome<WsTokenGrant> {
        let now = ids::now_ms();
        let token = ids::new_token();
        let expires_at = now + WS_TOKEN_TTL_MS;
        let row = WsTokenRow { hash: ids::sha256_hex(&token), user: user.clone(), role, expires_at };
        self.store.insert_ws_token(&row, now)?;
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
        let row = self.store.ws_token(&hash)?;
        let record = row.as_ref().map(|r| WsTokenRecord {
            hash: r.hash.clone(),
            user_id: String::new(),
            session_id: session_id.clone(),
            expires_at_ms: r.expires_at,
        });
        check_ws_token(record.as_ref(), &hash, &session_id, ids::now_ms())
            .map_err(|denied| ApiError::new(ErrorCode::Unauthorized, denied.to_string()))?;
        self.store.delete_ws_token(&hash)?;
        let row = row.expect("checked above");
        Ok((row.user, row.role))
    }
}
