//! `/api/secrets`: the secrets a repository's dev environment needs, sealed in D1, write-only
//! through the API, and handed to sandboxes as environment variables
//! ([`sandbox_env`]). The decisions (names, limits, sealing, `.env` parsing) are in
//! `oi_session_core::secrets`.

pub mod keys;
mod store;

use std::collections::BTreeMap;

use oi_protocol::secrets::{
    ImportSecretsRequest, ImportSecretsResult, PutSecretRequest, RotateSecretsResult, SecretAction, SecretAuditLog,
    SecretInfo, SecretLimits, SecretList, SecretScope, MASK,
};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::auth::access::{authorize, Action, Actor, Target};
use oi_session_core::secrets::{self as decide, crypto::OpenError, limits};
use worker::{Env, Request, Response};

use crate::auth::current_caller;
use crate::auth::Caller;
use crate::http::{json_response, query_param, read_json, Outcome};
use crate::ids;

/// The audit entries a page shows.
const AUDIT_PAGE: u32 = 200;

/// The scope of a request (`?repo=`, else global) and the caller, if they may manage it.
async fn authorized_scope(req: &Request, env: &Env) -> Outcome<(SecretScope, Caller)> {
    let caller = current_caller(req, env).await?;
    let scope = SecretScope::from_query(query_param(&req.url()?, "repo").as_deref());
    decide::check_scope(&scope).map_err(ApiError::from)?;
    let action = match scope {
        SecretScope::Global => Action::ManageGlobalSecrets,
        SecretScope::Repo { .. } => Action::ManageRepoSecrets,
    };
    let actor = Actor { user_id: &caller.user.id, role: caller.role };
    authorize(&actor, action, &Target::Deployment).map_err(ApiError::from)?;
    Ok((scope, caller))
}

fn sizes(rows: &[store::Row]) -> Vec<(String, usize)> {
    rows.iter().map(|r| (r.name.clone(), r.size as usize)).collect()
}

/// `GET /api/secrets[?repo=]`: names, sizes and who changed them; never values.
pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    let (scope, _) = authorized_scope(req, env).await?;
    let rows = store::list(env, &scope).await?;
    let used_bytes = rows.iter().map(|r| limits::entry_bytes(&r.name, r.size as usize)).sum::<usize>() as u32;
    let secrets = rows.iter().map(store::Row::info).collect();
    json_response(200, &SecretList { scope, secrets, used_bytes, limits: SecretLimits::current() })
}

/// `PUT /api/secrets/:name[?repo=]` `{value}` → 201 when new, 200 when replaced.
pub async fn put(mut req: Request, env: &Env, name: &str) -> Outcome<Response> {
    let (scope, caller) = authorized_scope(&req, env).await?;
    decide::names::check_name(name).map_err(ApiError::from)?;
    let body: PutSecretRequest = read_json(&mut req).await?;
    limits::check_value(name, &body.value).map_err(ApiError::from)?;
    let ring = keys::key_ring(env)?;
    let existing = store::list(env, &scope).await?;
    limits::check_scope(&sizes(&existing), &[(name.to_string(), body.value.len())]).map_err(ApiError::from)?;
    let before = existing.iter().find(|r| r.name == name);
    let action = if before.is_some() { SecretAction::Updated } else { SecretAction::Created };
    let sealed = ring.seal(&scope, name, &body.value, keys::new_nonce());
    let now = ids::now_ms();
    let write = store::Write { name: name.to_string(), sealed, size: body.value.len(), action };
    store::write(env, &scope, &[write], &caller.user.id, now).await?;
    // What was written, as a list would show it (no second read).
    let info = SecretInfo {
        name: name.to_string(),
        masked: MASK.to_string(),
        size: body.value.len() as u32,
        created_at: before.map_or(now, |b| b.created_at),
        created_by: before.map_or_else(|| caller.user.id.clone(), |b| b.created_by.clone()),
        updated_at: now,
        updated_by: caller.user.id.clone(),
    };
    json_response(if before.is_some() { 200 } else { 201 }, &info)
}

/// `DELETE /api/secrets/:name[?repo=]` → 204.
pub async fn delete(req: &Request, env: &Env, name: &str) -> Outcome<Response> {
    let (scope, caller) = authorized_scope(req, env).await?;
    if !store::delete(env, &scope, name, &caller.user.id, ids::now_ms()).await? {
        return Err(ApiError::new(ErrorCode::NotFound, format!("no secret named {name} in this scope")).into());
    }
    Ok(Response::empty()?.with_status(204))
}

/// `POST /api/secrets/import[?repo=]` `{dotenv}`: every variable at once, or none.
pub async fn import(mut req: Request, env: &Env) -> Outcome<Response> {
    let (scope, caller) = authorized_scope(&req, env).await?;
    let body: ImportSecretsRequest = read_json(&mut req).await?;
    let pairs = decide::dotenv::parse(&body.dotenv).map_err(ApiError::from)?;
    for (name, value) in &pairs {
        limits::check_value(name, value).map_err(ApiError::from)?;
    }
    let ring = keys::key_ring(env)?;
    let existing = store::list(env, &scope).await?;
    let changes: Vec<(String, usize)> = pairs.iter().map(|(n, v)| (n.clone(), v.len())).collect();
    limits::check_scope(&sizes(&existing), &changes).map_err(ApiError::from)?;
    let mut result = ImportSecretsResult { created: vec![], updated: vec![] };
    let mut writes = vec![];
    for (name, value) in pairs {
        let action = if existing.iter().any(|r| r.name == name) {
            result.updated.push(name.clone());
            SecretAction::Updated
        } else {
            result.created.push(name.clone());
            SecretAction::Created
        };
        let sealed = ring.seal(&scope, &name, &value, keys::new_nonce());
        writes.push(store::Write { name, sealed, size: value.len(), action });
    }
    store::write(env, &scope, &writes, &caller.user.id, ids::now_ms()).await?;
    json_response(200, &result)
}

/// `GET /api/secrets/audit[?repo=]`: newest first.
pub async fn audit(req: &Request, env: &Env) -> Outcome<Response> {
    let (scope, _) = authorized_scope(req, env).await?;
    json_response(200, &SecretAuditLog { entries: store::audit(env, &scope, AUDIT_PAGE).await? })
}

/// `POST /api/secrets/rotate` (admins): re-seal everything under the current key.
pub async fn rotate(req: &Request, env: &Env) -> Outcome<Response> {
    let caller = current_caller(req, env).await?;
    let actor = Actor { user_id: &caller.user.id, role: caller.role };
    authorize(&actor, Action::ManageGlobalSecrets, &Target::Deployment).map_err(ApiError::from)?;
    json_response(200, &rotate_all(env, true).await?)
}

/// Re-seals under the current key the secrets under an older one; with `verify_current`, also
/// opens those already under it (to report any that no longer open). The cron trigger calls it
/// without (and then `current` is not counted), so a new key takes over with no one waiting.
pub async fn rotate_all(env: &Env, verify_current: bool) -> Outcome<RotateSecretsResult> {
    let ring = keys::key_ring(env)?;
    let mut result =
        RotateSecretsResult { key_id: ring.current_id().to_string(), reencrypted: 0, current: 0, unreadable: vec![] };
    let now = ids::now_ms();
    // The cron reads only the rows under another key (usually none); the API opens them all.
    let rows = if verify_current { store::all(env).await? } else { store::not_under(env, ring.current_id()).await? };
    for row in rows {
        let scope = row.scope();
        match ring.open(&scope, &row.name, &row.sealed()) {
            Ok(_) if !ring.needs_rotation(&row.sealed()) => result.current += 1,
            Ok(value) => {
                let sealed = ring.seal(&scope, &row.name, &value, keys::new_nonce());
                store::reseal(env, &row, &sealed, now).await?;
                result.reencrypted += 1;
            }
            Err(_) => result.unreadable.push(describe(&scope, &row.name)),
        }
    }
    Ok(result)
}

fn describe(scope: &SecretScope, name: &str) -> String {
    match scope {
        SecretScope::Global => format!("global/{name}"),
        SecretScope::Repo { repo } => format!("{repo}/{name}"),
    }
}

/// What a sandbox on `repo` receives: the environment (the global secrets overlaid by the
/// repo's), and who set each.
#[derive(Default)]
pub struct SandboxSecrets {
    pub env: BTreeMap<String, String>,
    pub provenance: Vec<decide::provenance::Provenance>,
}

/// The secrets a sandbox on `repo` receives. An error names the secret or limit at fault
/// (never a value).
pub async fn sandbox_env(env: &Env, repo: &str) -> Result<SandboxSecrets, String> {
    let global_scope = SecretScope::Global;
    let repo_scope = SecretScope::Repo { repo: repo.to_string() };
    let read = |e: worker::Error| format!("the secrets could not be read: {e}");
    let global = store::list(env, &global_scope).await.map_err(read)?;
    let repo_rows = store::list(env, &repo_scope).await.map_err(read)?;
    if global.is_empty() && repo_rows.is_empty() {
        return Ok(SandboxSecrets::default());
    }
    let setter = |name: &str| -> Option<decide::provenance::Provenance> {
        let (row, repository) = match repo_rows.iter().find(|r| r.name == name) {
            Some(row) => (row, true),
            None => (global.iter().find(|r| r.name == name)?, false),
        };
        Some(decide::provenance::Provenance { name: name.to_string(), repository, updated_by: row.updated_by.clone() })
    };
    let ring = keys::key_ring(env).map_err(|e| e.message)?;
    let open = |rows: Vec<store::Row>, scope: &SecretScope| -> Result<BTreeMap<String, String>, String> {
        rows.into_iter()
            .map(|row| match ring.open(scope, &row.name, &row.sealed()) {
                Ok(value) => Ok((row.name, value)),
                Err(OpenError::UnknownKey(id)) => Err(format!(
                    "secret {} is sealed under key {id:?}, which is not configured",
                    describe(scope, &row.name)
                )),
                Err(OpenError::Rejected) => {
                    Err(format!("secret {} does not open (tampered or moved)", describe(scope, &row.name)))
                }
            })
            .collect()
    };
    let mut merged =
        decide::merge::sandbox_env(open(global.clone(), &global_scope)?, open(repo_rows.clone(), &repo_scope)?)
            .map_err(|r| r.message)?;
    let provenance = merged.keys().filter_map(|name| setter(name)).collect();
    // The names (never the values), so the supervisor masks the values in what it logs.
    let names = merged.keys().cloned().collect::<Vec<_>>().join(",");
    merged.insert("OI_SECRET_NAMES".into(), names);
    Ok(SandboxSecrets { env: merged, provenance })
}
