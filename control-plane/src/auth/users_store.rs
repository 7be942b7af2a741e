//! Users who signed in with GitHub, and their roles, in D1 (`users`).

use oi_protocol::{Role, User};
use oi_session_core::auth::allowlist::{initial_role, GithubIdentity};
use oi_session_core::auth::rotation::StoredPerson;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{Env, Result};

use super::github_api::GithubUser;
use crate::ids;

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

#[derive(Deserialize)]
struct RoleRow {
    role: String,
}

#[derive(Deserialize)]
struct CountRow {
    n: f64,
}

/// Records a sign-in and answers the person's role: an existing user keeps theirs (a
/// configured admin login is always admin); the first person to sign in becomes admin.
pub async fn sign_in(
    env: &Env,
    user: &User,
    github: &GithubUser,
    identity: &GithubIdentity,
    admin_logins: &[String],
) -> Result<Role> {
    let db = env.d1("DB")?;
    let existing: Option<RoleRow> =
        db.prepare("SELECT role FROM users WHERE id = ?1").bind(&[user.id.as_str().into()])?.first(None).await?;
    let configured_admin = admin_logins.iter().any(|l| l.eq_ignore_ascii_case(&github.login));
    let role = match existing {
        Some(row) if configured_admin || row.role == "admin" => Role::Admin,
        Some(_) => Role::Member,
        None => {
            let count: Option<CountRow> =
                db.prepare("SELECT COUNT(*) AS n FROM users WHERE github_id IS NOT NULL").first(None).await?;
            initial_role(&github.login, admin_logins, count.map(|c| c.n as u64).unwrap_or(0))
        }
    };
    let now = ids::now_ms() as f64;
    db.prepare(
        "INSERT INTO users (id, name, email, created_at, github_id, login, role, avatar_url, last_sign_in_at, identity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4, ?9)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, login = excluded.login,
             role = excluded.role, avatar_url = excluded.avatar_url, last_sign_in_at = excluded.last_sign_in_at,
             identity = excluded.identity",
    )
    .bind(&[
        user.id.as_str().into(),
        user.name.as_str().into(),
        user.email.as_str().into(),
        now.into(),
        (github.id as f64).into(),
        github.login.as_str().into(),
        role_name(role).into(),
        github.avatar_url.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
        serde_json::to_string(identity).map_err(|e| worker::Error::RustError(e.to_string()))?.into(),
    ])?
    .run()
    .await?;
    Ok(role)
}

/// What the deployment holds about a person now (for a session's rotation), if they are a user.
pub async fn person(env: &Env, id: &str) -> Result<Option<StoredPerson>> {
    #[derive(Deserialize)]
    struct Row {
        role: String,
        identity: Option<String>,
    }
    let row: Option<Row> =
        env.d1("DB")?.prepare("SELECT role, identity FROM users WHERE id = ?1").bind(&[id.into()])?.first(None).await?;
    Ok(row.map(|r| StoredPerson {
        role: if r.role == "admin" { Role::Admin } else { Role::Member },
        identity: r.identity.and_then(|json| serde_json::from_str(&json).ok()),
    }))
}
