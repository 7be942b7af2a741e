//! Web sessions ended before they expire (sign-out, or a person no longer allowed), by `jti`,
//! in D1 (`revoked_web_sessions`). Every GitHub-mode request checks it; a row goes once the
//! session would have expired anyway.

use worker::{Env, Result};

use crate::ids;

/// Ends the session `jti` (its token expires at `expires_at`, seconds).
pub async fn revoke(env: &Env, jti: &str, expires_at: i64) -> Result<()> {
    env.d1("DB")?
        .prepare("INSERT OR IGNORE INTO revoked_web_sessions (jti, expires_at) VALUES (?1, ?2)")
        .bind(&[jti.into(), (expires_at as f64).into()])?
        .run()
        .await?;
    Ok(())
}

pub async fn is_revoked(env: &Env, jti: &str) -> Result<bool> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[allow(dead_code)]
        jti: String,
    }
    let row: Option<Row> = env
        .d1("DB")?
        .prepare("SELECT jti FROM revoked_web_sessions WHERE jti = ?1")
        .bind(&[jti.into()])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

/// Forgets revocations of sessions that have expired (the cron trigger).
pub async fn forget_expired(env: &Env) -> Result<()> {
    env.d1("DB")?
        .prepare("DELETE FROM revoked_web_sessions WHERE expires_at < ?1")
        .bind(&[((ids::now_ms() / 1000) as f64).into()])?
        .run()
        .await?;
    Ok(())
}
