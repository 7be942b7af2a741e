//! Secrets and their audit log in D1 (`migrations/0005_secrets.sql`). Every change and its audit
//! entry are written in one batch (one transaction).

use oi_protocol::secrets::{SecretAction, SecretAuditEntry, SecretInfo, SecretScope, MASK};
use oi_session_core::secrets::crypto::Sealed;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

/// A stored secret, sealed.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub scope_kind: String,
    pub scope_owner: String,
    pub name: String,
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
    pub size: i64,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

impl Row {
    pub fn scope(&self) -> SecretScope {
        scope_from(&self.scope_kind, &self.scope_owner)
    }

    pub fn sealed(&self) -> Sealed {
        Sealed { key_id: self.key_id.clone(), nonce: self.nonce.clone(), ciphertext: self.ciphertext.clone() }
    }

    pub fn info(&self) -> SecretInfo {
        SecretInfo {
            name: self.name.clone(),
            masked: MASK.to_string(),
            size: self.size as u32,
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by.clone(),
        }
    }
}

fn scope_from(kind: &str, owner: &str) -> SecretScope {
    match kind {
        "repo" => SecretScope::Repo { repo: owner.to_string() },
        _ => SecretScope::Global,
    }
}

const COLUMNS: &str =
    "scope_kind, scope_owner, name, key_id, nonce, ciphertext, size, created_at, created_by, updated_at, updated_by";

/// The secrets of one scope, by name.
pub async fn list(env: &Env, scope: &SecretScope) -> Result<Vec<Row>> {
    db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM secrets WHERE scope_kind = ?1 AND scope_owner = ?2 ORDER BY name"))
        .bind(&[scope.kind().into(), scope.owner().into()])?
        .all()
        .await?
        .results()
}

/// The secrets sealed under any key but `key_id` (what a rotation has left to do).
pub async fn not_under(env: &Env, key_id: &str) -> Result<Vec<Row>> {
    db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM secrets WHERE key_id != ?1 ORDER BY scope_kind, scope_owner, name"))
        .bind(&[key_id.into()])?
        .all()
        .await?
        .results()
}

/// Every secret (for the key rotation).
pub async fn all(env: &Env) -> Result<Vec<Row>> {
    db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM secrets ORDER BY scope_kind, scope_owner, name"))
        .all()
        .await?
        .results()
}

/// One new or changed value.
pub struct Write {
    pub name: String,
    pub sealed: Sealed,
    pub size: usize,
    pub action: SecretAction,
}

fn audit_statement(
    db: &D1Database,
    at: i64,
    actor: &str,
    action: SecretAction,
    scope: &SecretScope,
    name: &str,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO secret_audit (at, actor, action, scope_kind, scope_owner, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        (at as f64).into(),
        actor.into(),
        action_str(action).into(),
        scope.kind().into(),
        scope.owner().into(),
        name.into(),
    ])
}

/// Writes values (insert or replace, keeping `created_*`) and their audit entries, all at once.
pub async fn write(env: &Env, scope: &SecretScope, writes: &[Write], actor: &str, now: i64) -> Result<()> {
    let db = db(env)?;
    let mut statements = vec![];
    for w in writes {
        statements.push(
            db.prepare(
                "INSERT INTO secrets (scope_kind, scope_owner, name, key_id, nonce, ciphertext, size, created_at, created_by, updated_at, updated_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9) \
                 ON CONFLICT (scope_kind, scope_owner, name) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce, \
                 ciphertext = excluded.ciphertext, size = excluded.size, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(&[
                scope.kind().into(),
                scope.owner().into(),
                w.name.as_str().into(),
                w.sealed.key_id.as_str().into(),
                w.sealed.nonce.as_str().into(),
                w.sealed.ciphertext.as_str().into(),
                (w.size as f64).into(),
                (now as f64).into(),
                actor.into(),
            ])?,
        );
        statements.push(audit_statement(&db, now, actor, w.action, scope, &w.name)?);
    }
    db.batch(statements).await?;
    Ok(())
}

/// Re-seals one value under a new key (the value is unchanged), with its audit entry. Guarded by
/// the old ciphertext, so a change made meanwhile is never overwritten.
pub async fn reseal(env: &Env, row: &Row, sealed: &Sealed, now: i64) -> Result<()> {
    let db = db(env)?;
    let scope = row.scope();
    let update = db
        .prepare(
            "UPDATE secrets SET key_id = ?1, nonce = ?2, ciphertext = ?3 \
             WHERE scope_kind = ?4 AND scope_owner = ?5 AND name = ?6 AND ciphertext = ?7",
        )
        .bind(&[
            sealed.key_id.as_str().into(),
            sealed.nonce.as_str().into(),
            sealed.ciphertext.as_str().into(),
            row.scope_kind.as_str().into(),
            row.scope_owner.as_str().into(),
            row.name.as_str().into(),
            row.ciphertext.as_str().into(),
        ])?;
    let audit = audit_statement(&db, now, "system", SecretAction::Reencrypted, &scope, &row.name)?;
    db.batch(vec![update, audit]).await?;
    Ok(())
}

/// Deletes a secret (and records it); `false` when there was none.
pub async fn delete(env: &Env, scope: &SecretScope, name: &str, actor: &str, now: i64) -> Result<bool> {
    let db = db(env)?;
    let exists: Option<i64> = db
        .prepare("SELECT 1 AS one FROM secrets WHERE scope_kind = ?1 AND scope_owner = ?2 AND name = ?3")
        .bind(&[scope.kind().into(), scope.owner().into(), name.into()])?
        .first(Some("one"))
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    let delete = db.prepare("DELETE FROM secrets WHERE scope_kind = ?1 AND scope_owner = ?2 AND name = ?3").bind(&[
        scope.kind().into(),
        scope.owner().into(),
        name.into(),
    ])?;
    let audit = audit_statement(&db, now, actor, SecretAction::Deleted, scope, name)?;
    db.batch(vec![delete, audit]).await?;
    Ok(true)
}

#[derive(Deserialize)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
    scope_kind: String,
    scope_owner: String,
    name: String,
}

/// The newest `limit` audit entries of a scope.
pub async fn audit(env: &Env, scope: &SecretScope, limit: u32) -> Result<Vec<SecretAuditEntry>> {
    let rows: Vec<AuditRow> = db(env)?
        .prepare(
            "SELECT at, actor, action, scope_kind, scope_owner, name FROM secret_audit \
             WHERE scope_kind = ?1 AND scope_owner = ?2 ORDER BY id DESC LIMIT ?3",
        )
        .bind(&[scope.kind().into(), scope.owner().into(), JsValue::from(limit as f64)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| SecretAuditEntry {
            at: r.at,
            actor: r.actor,
            action: parse_action(&r.action),
            scope: scope_from(&r.scope_kind, &r.scope_owner),
            name: r.name,
        })
        .collect())
}

fn action_str(a: SecretAction) -> &'static str {
    match a {
        SecretAction::Created => "created",
        SecretAction::Updated => "updated",
        SecretAction::Deleted => "deleted",
        SecretAction::Reencrypted => "reencrypted",
    }
}

fn parse_action(s: &str) -> SecretAction {
    serde_json::from_value(serde_json::Value::String(s.into())).unwrap_or(SecretAction::Updated)
}
