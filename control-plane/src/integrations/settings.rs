//! Settings → Integrations (admins): each integration on or off, its settings, and its
//! credentials sealed like repository secrets (write-only: the API says whether each is set,
//! never its value). A credential is sealed to its integration and name, so it opens only for
//! the integration that uses it.

use oi_protocol::integrations::{
    DeliveryList, Integration, IntegrationList, IntegrationName, IntegrationSecret, UpdateIntegration,
};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::auth::access::{authorize, Action, Actor, Target};
use oi_session_core::secrets::crypto::{credential_binding, KeyRing, Sealed};
use serde::Deserialize;
use worker::{Env, Request, Response};

use super::deliveries;
use crate::auth::{current_caller, Caller};
use crate::http::{json_response, read_json, Outcome};
use crate::ids;

/// The most a credential may hold.
const MAX_SECRET_CHARS: usize = 4_096;
/// The most an integration's settings may hold, as JSON.
const MAX_CONFIG_BYTES: usize = 16 * 1024;

/// What an integration needs: whether this version has it, and its credentials in order.
pub fn needs(name: IntegrationName) -> (bool, &'static [&'static str]) {
    match name {
        IntegrationName::Sentry => (true, &["client_secret"]),
        IntegrationName::Slack => (true, &["signing_secret", "bot_token"]),
        // The review bot: the App's own credentials are the Worker's (GITHUB_APP_*).
        IntegrationName::Github => (true, &[]),
        // The app's OAuth token is kept by its installation (`crate::linear::oauth`), not typed in.
        IntegrationName::Linear => (true, &["webhook_secret"]),
    }
}

/// Where the vendor delivers.
pub fn webhook_path(name: IntegrationName) -> String {
    match name {
        IntegrationName::Slack => "/api/integrations/slack/events".into(),
        other => format!("/api/integrations/{}/webhook", other.as_str()),
    }
}

fn binding(name: IntegrationName, secret: &str) -> Vec<u8> {
    credential_binding("integration-secret", &format!("{}/{secret}", name.as_str()))
}

/// The caller, if they may manage integrations (admins).
pub async fn admin(req: &Request, env: &Env) -> Outcome<Caller> {
    let caller = current_caller(req, env).await?;
    authorize(&Actor { user_id: &caller.user.id, role: caller.role }, Action::ManageIntegrations, &Target::Deployment)
        .map_err(ApiError::from)?;
    Ok(caller)
}

#[derive(Deserialize)]
struct SettingsRow {
    enabled: i64,
    config: String,
    updated_at: f64,
}

#[derive(Deserialize)]
struct SecretRow {
    name: String,
    key_id: String,
    nonce: String,
    ciphertext: String,
    updated_at: f64,
}

async fn settings_row(env: &Env, name: IntegrationName) -> worker::Result<Option<SettingsRow>> {
    env.d1("DB")?
        .prepare("SELECT enabled, config, updated_at FROM integration_settings WHERE name = ?1")
        .bind(&[name.as_str().into()])?
        .first(None)
        .await
}

async fn secret_rows(env: &Env, name: IntegrationName) -> worker::Result<Vec<SecretRow>> {
    env.d1("DB")?
        .prepare("SELECT name, key_id, nonce, ciphertext, updated_at FROM integration_secrets WHERE integration = ?1")
        .bind(&[name.as_str().into()])?
        .all()
        .await?
        .results()
}

/// The integration's settings (empty until an admin saves some).
pub async fn config(env: &Env, name: IntegrationName) -> worker::Result<serde_json::Map<String, serde_json::Value>> {
    Ok(settings_row(env, name).await?.and_then(|r| serde_json::from_str(&r.config).ok()).unwrap_or_default())
}

/// Whether the integration is on (off until an admin turns it on).
pub async fn enabled(env: &Env, name: IntegrationName) -> worker::Result<bool> {
    Ok(settings_row(env, name).await?.is_some_and(|r| r.enabled != 0))
}

/// Seals and keeps one of the integration's credentials that the control plane itself obtains
/// (an OAuth token from an installation), not one an admin types in.
pub async fn keep_secret(env: &Env, name: IntegrationName, secret: &str, value: &str) -> worker::Result<()> {
    let keys = crate::secrets::keys::key_ring(env).map_err(|e| worker::Error::RustError(e.message))?;
    let sealed = keys.seal_bound(&binding(name, secret), value, crate::secrets::keys::new_nonce());
    env.d1("DB")?
        .prepare(
            "INSERT INTO integration_secrets (integration, name, key_id, nonce, ciphertext, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (integration, name) DO UPDATE SET key_id = ?3, nonce = ?4, ciphertext = ?5, updated_at = ?6",
        )
        .bind(&[
            name.as_str().into(),
            secret.into(),
            sealed.key_id.as_str().into(),
            sealed.nonce.as_str().into(),
            sealed.ciphertext.as_str().into(),
            (ids::now_ms() as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// One of the integration's credentials, opened; `None` when it is not set.
pub async fn secret(env: &Env, name: IntegrationName, secret: &str, keys: &KeyRing) -> worker::Result<Option<String>> {
    let Some(row) = secret_rows(env, name).await?.into_iter().find(|r| r.name == secret) else { return Ok(None) };
    let sealed = Sealed { key_id: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext };
    keys.open_bound(&binding(name, secret), &sealed).map(Some).map_err(|e| {
        worker::Error::RustError(format!("the {} {secret} does not open with SECRETS_KEY: {e}", name.as_str()))
    })
}

async fn describe(env: &Env, name: IntegrationName) -> worker::Result<Integration> {
    let (available, wanted) = needs(name);
    let row = settings_row(env, name).await?;
    let stored = secret_rows(env, name).await?;
    let secrets = wanted
        .iter()
        .map(|s| {
            let found = stored.iter().find(|r| r.name == *s);
            IntegrationSecret {
                name: s.to_string(),
                set: found.is_some(),
                updated_at: found.map(|r| r.updated_at as i64),
            }
        })
        .collect();
    Ok(Integration {
        name,
        available,
        enabled: row.as_ref().is_some_and(|r| r.enabled != 0),
        config: row.as_ref().and_then(|r| serde_json::from_str(&r.config).ok()).unwrap_or_default(),
        secrets,
        webhook_path: webhook_path(name),
        updated_at: row.map(|r| r.updated_at as i64),
    })
}

/// `GET /api/integrations`.
pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    admin(req, env).await?;
    let mut integrations = vec![];
    for name in IntegrationName::ALL {
        integrations.push(describe(env, name).await?);
    }
    json_response(200, &IntegrationList { integrations })
}

/// `GET /api/integrations/:name`.
pub async fn get(req: &Request, env: &Env, name: IntegrationName) -> Outcome<Response> {
    admin(req, env).await?;
    json_response(200, &describe(env, name).await?)
}

/// Checks a change against what the integration needs and has.
pub fn check_update(name: IntegrationName, update: &UpdateIntegration, set_after: &[String]) -> Result<(), String> {
    let (available, wanted) = needs(name);
    if !available {
        return Err(format!("the {} integration is not in this version yet", name.as_str()));
    }
    for (secret, value) in &update.secrets {
        if !wanted.contains(&secret.as_str()) {
            return Err(format!(
                "secrets: {} has no credential {secret:?}; it takes {}",
                name.as_str(),
                wanted.join(", ")
            ));
        }
        if value.chars().count() > MAX_SECRET_CHARS {
            return Err(format!("secrets: {secret} is longer than {MAX_SECRET_CHARS} characters"));
        }
    }
    if let Some(config) = &update.config {
        let bytes = serde_json::to_string(config).map(|s| s.len()).unwrap_or(usize::MAX);
        if bytes > MAX_CONFIG_BYTES {
            return Err(format!("config: {bytes} bytes is more than {MAX_CONFIG_BYTES}"));
        }
    }
    if update.enabled == Some(true) {
        if let Some(missing) = wanted.iter().find(|w| !set_after.iter().any(|s| s == *w)) {
            return Err(format!("enabled: set {missing} before turning {} on", name.as_str()));
        }
    }
    Ok(())
}

/// `PUT /api/integrations/:name` → 200 with its settings.
pub async fn put(mut req: Request, env: &Env, name: IntegrationName) -> Outcome<Response> {
    let caller = admin(&req, env).await?;
    let update: UpdateIntegration = read_json(&mut req).await?;
    let current = describe(env, name).await?;
    let mut set_after: Vec<String> = current.secrets.iter().filter(|s| s.set).map(|s| s.name.clone()).collect();
    for (secret, value) in &update.secrets {
        set_after.retain(|s| s != secret);
        if !value.is_empty() {
            set_after.push(secret.clone());
        }
    }
    let enabling = update.enabled.or((current.enabled).then_some(true));
    let effective = UpdateIntegration { enabled: enabling, ..update.clone() };
    check_update(name, &effective, &set_after).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    let checked = match (name, &update.config) {
        (IntegrationName::Slack, Some(config)) => {
            oi_integrations::slack::settings::parse_config_with(config, crate::auth::local::local_mode(env)).map(drop)
        }
        (IntegrationName::Github, Some(config)) => {
            oi_integrations::github_review::settings::parse_config(config).map(drop)
        }
        (IntegrationName::Linear, Some(config)) => {
            oi_integrations::linear::settings::parse_config_with(config, crate::auth::local::local_mode(env)).map(drop)
        }
        (IntegrationName::Sentry, _) | (_, None) => Ok(()),
    };
    checked.map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("config: {e}")))?;
    let keys =
        if update.secrets.values().any(|v| !v.is_empty()) { Some(crate::secrets::keys::key_ring(env)?) } else { None };
    let db = env.d1("DB")?;
    let now = ids::now_ms() as f64;
    let mut statements = vec![db
        .prepare(
            "INSERT INTO integration_settings (name, enabled, config, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET enabled = ?2, config = ?3, updated_by = ?4, updated_at = ?5",
        )
        .bind(&[
            name.as_str().into(),
            (update.enabled.unwrap_or(current.enabled) as i32).into(),
            serde_json::to_string(update.config.as_ref().unwrap_or(&current.config))?.into(),
            caller.user.id.as_str().into(),
            now.into(),
        ])?];
    for (secret, value) in &update.secrets {
        if value.is_empty() {
            statements.push(
                db.prepare("DELETE FROM integration_secrets WHERE integration = ?1 AND name = ?2")
                    .bind(&[name.as_str().into(), secret.as_str().into()])?,
            );
        } else if let Some(keys) = &keys {
            let sealed = keys.seal_bound(&binding(name, secret), value, crate::secrets::keys::new_nonce());
            statements.push(
                db.prepare(
                    "INSERT INTO integration_secrets (integration, name, key_id, nonce, ciphertext, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (integration, name) DO UPDATE SET key_id = ?3, nonce = ?4, ciphertext = ?5, updated_at = ?6",
                )
                .bind(&[
                    name.as_str().into(),
                    secret.as_str().into(),
                    sealed.key_id.as_str().into(),
                    sealed.nonce.as_str().into(),
                    sealed.ciphertext.as_str().into(),
                    now.into(),
                ])?,
            );
        }
    }
    db.batch(statements).await?;
    json_response(200, &describe(env, name).await?)
}

/// `GET /api/integrations/:name/deliveries`: the newest 100 (7 days).
pub async fn deliveries(req: &Request, env: &Env, name: IntegrationName) -> Outcome<Response> {
    admin(req, env).await?;
    json_response(200, &DeliveryList { deliveries: deliveries::recent(env, name.as_str()).await? })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn update(enabled: Option<bool>, secrets: &[(&str, &str)]) -> UpdateIntegration {
        UpdateIntegration {
            enabled,
            config: None,
            secrets: secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn a_change_is_checked_against_what_the_integration_takes() {
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // (integration, change, credentials set after it, the answer)
        type Case = (IntegrationName, UpdateIntegration, Vec<String>, Result<(), &'static str>);
        let cases: &[Case] = &[
            (IntegrationName::Sentry, update(Some(true), &[("client_secret", "s")]), set(&["client_secret"]), Ok(())),
            (
                IntegrationName::Sentry,
                update(Some(true), &[]),
                set(&[]),
                Err("enabled: set client_secret before turning sentry on"),
            ),
            (IntegrationName::Sentry, update(Some(false), &[]), set(&[]), Ok(())),
            (
                IntegrationName::Sentry,
                update(None, &[("token", "x")]),
                set(&[]),
                Err("secrets: sentry has no credential \"token\"; it takes client_secret"),
            ),
            (
                IntegrationName::Linear,
                update(Some(true), &[]),
                set(&[]),
                Err("enabled: set webhook_secret before turning linear on"),
            ),
            // The app's OAuth token comes from its installation, never from an admin's form.
            (
                IntegrationName::Linear,
                update(None, &[("oauth_token", "lin_oauth_x")]),
                set(&[]),
                Err("secrets: linear has no credential \"oauth_token\"; it takes webhook_secret"),
            ),
            (IntegrationName::Github, update(Some(true), &[]), set(&[]), Ok(())),
            (
                IntegrationName::Slack,
                update(Some(true), &[("signing_secret", "s")]),
                set(&["signing_secret"]),
                Err("enabled: set bot_token before turning slack on"),
            ),
        ];
        for (name, update, set_after, expected) in cases {
            assert_eq!(check_update(*name, update, set_after), expected.map_err(String::from), "{name:?} {update:?}");
        }
        let long = "x".repeat(MAX_SECRET_CHARS + 1);
        assert!(check_update(IntegrationName::Sentry, &update(None, &[("client_secret", &long)]), &[]).is_err());
    }
}
