//! Who a vendor's user acts as here (`oi_integrations::people::acting_person`): a link an
//! admin made (`/api/integrations/:name/links`), or the person whose verified email the
//! vendor vouches for. Local mode has one person, the configured local user: every vendor user
//! acts as them. Slack, GitHub reviews and Linear call [`acting_person`] before they start
//! anything; `Err` is the reason they tell their caller.

use oi_integrations::people::{self, Candidate, VendorUser};
use oi_protocol::integrations::{IntegrationLink, IntegrationLinkList, IntegrationName, PutIntegrationLink};
use oi_protocol::rest::AuthMode;
use oi_protocol::{ApiError, ErrorCode, User};
use oi_session_core::auth::allowlist::GithubIdentity;
use serde::Deserialize;
use worker::{Env, Request, Response};

use crate::auth::settings;
use crate::http::{json_response, read_json, Outcome};
use crate::ids;

#[derive(Deserialize)]
struct UserRow {
    id: String,
    name: String,
    email: String,
    login: Option<String>,
    identity: Option<String>,
}

impl UserRow {
    fn user(&self) -> User {
        User { id: self.id.clone(), name: self.name.clone(), email: self.email.clone(), login: self.login.clone() }
    }

    fn candidate(&self) -> Candidate {
        let identity: Option<GithubIdentity> = self.identity.as_deref().and_then(|j| serde_json::from_str(j).ok());
        Candidate { user_id: self.id.clone(), verified_emails: identity.map(|i| i.verified_emails).unwrap_or_default() }
    }
}

/// The person `vendor` acts as, or why nobody.
pub async fn acting_person(
    env: &Env,
    integration: IntegrationName,
    vendor: VendorUser<'_>,
) -> worker::Result<Result<User, String>> {
    if settings::auth_mode(env) == AuthMode::Local {
        return Ok(Ok(crate::auth::local::configured_user(env)));
    }
    let db = env.d1("DB")?;
    let linked: Option<String> = db
        .prepare("SELECT user_id FROM integration_links WHERE integration = ?1 AND vendor_user_id = ?2")
        .bind(&[integration.as_str().into(), vendor.id.into()])?
        .first(Some("user_id"))
        .await?;
    let rows: Vec<UserRow> = db.prepare("SELECT id, name, email, login, identity FROM users").all().await?.results()?;
    let candidates: Vec<Candidate> = rows.iter().map(UserRow::candidate).collect();
    Ok(people::acting_person(integration.as_str(), vendor, linked.as_deref(), &candidates)
        .map(|id| rows.iter().find(|r| r.id == id).map(UserRow::user).expect("a candidate is a row")))
}

/// `GET /api/integrations/:name/links` (admins).
pub async fn list(env: &Env, name: IntegrationName) -> Outcome<Response> {
    #[derive(Deserialize)]
    struct Row {
        vendor_user_id: String,
        user_id: String,
        created_by: String,
        created_at: f64,
    }
    let rows: Vec<Row> = env
        .d1("DB")?
        .prepare(
            "SELECT vendor_user_id, user_id, created_by, created_at FROM integration_links WHERE integration = ?1
             ORDER BY vendor_user_id",
        )
        .bind(&[name.as_str().into()])?
        .all()
        .await?
        .results()?;
    let links = rows
        .into_iter()
        .map(|r| IntegrationLink {
            vendor_user_id: r.vendor_user_id,
            user_id: r.user_id,
            created_by: r.created_by,
            created_at: r.created_at as i64,
        })
        .collect();
    json_response(200, &IntegrationLinkList { links })
}

/// `PUT /api/integrations/:name/links/:vendor_user_id` `{user_id}` (admins) → 200.
pub async fn put(
    mut req: Request,
    env: &Env,
    name: IntegrationName,
    vendor_user_id: &str,
    by: &str,
) -> Outcome<Response> {
    let body: PutIntegrationLink = read_json(&mut req).await?;
    people::check_vendor_user_id(vendor_user_id).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    let known: Option<String> = env
        .d1("DB")?
        .prepare("SELECT id FROM users WHERE id = ?1")
        .bind(&[body.user_id.as_str().into()])?
        .first(Some("id"))
        .await?;
    if known.is_none() {
        let why = format!("user_id: no person {:?} in this deployment", body.user_id);
        return Err(ApiError::new(ErrorCode::InvalidRequest, why).into());
    }
    let now = ids::now_ms();
    env.d1("DB")?
        .prepare(
            "INSERT INTO integration_links (integration, vendor_user_id, user_id, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (integration, vendor_user_id) DO UPDATE SET user_id = ?3, created_by = ?4, created_at = ?5",
        )
        .bind(&[
            name.as_str().into(),
            vendor_user_id.into(),
            body.user_id.as_str().into(),
            by.into(),
            (now as f64).into(),
        ])?
        .run()
        .await?;
    let link = IntegrationLink {
        vendor_user_id: vendor_user_id.to_string(),
        user_id: body.user_id,
        created_by: by.to_string(),
        created_at: now,
    };
    json_response(200, &link)
}

/// `DELETE /api/integrations/:name/links/:vendor_user_id` (admins) → 204, or 404.
pub async fn delete(env: &Env, name: IntegrationName, vendor_user_id: &str) -> Outcome<Response> {
    let result = env
        .d1("DB")?
        .prepare("DELETE FROM integration_links WHERE integration = ?1 AND vendor_user_id = ?2")
        .bind(&[name.as_str().into(), vendor_user_id.into()])?
        .run()
        .await?;
    if result.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        let why = format!("no link for {vendor_user_id:?} in {}", name.as_str());
        return Err(ApiError::new(ErrorCode::NotFound, why).into());
    }
    Ok(Response::empty()?.with_status(204))
}
