//! The authenticated user's endpoints: `GET /user`, `/user/emails`, `/user/orgs` and
//! `/user/memberships/orgs/{org}`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::{authenticate, json, paginate};
use crate::state::Shared;

const USER_DOCS: &str = "https://docs.github.com/rest/users/users#get-the-authenticated-user";
const EMAILS_DOCS: &str = "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user";
const ORGS_DOCS: &str = "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user";
const MEMBERSHIP_DOCS: &str =
    "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user";

/// `GET /user` (`users/get-authenticated`).
pub(crate) async fn get_user(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&shared, &headers, "") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let Some(user) = caller.user() else { return caller.not_accessible_by_integration(USER_DOCS) };
    let body = json::authenticated_user(&shared.base_url, user, caller.allows("user"));
    caller.json(StatusCode::OK, &body, None)
}

/// `GET /user/emails` (`users/list-emails-for-authenticated-user`). Without `user:email` GitHub
/// answers 404.
pub(crate) async fn list_emails(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match authenticate(&shared, &headers, "user, user:email") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let Some(user) = caller.user() else { return caller.not_accessible_by_integration(EMAILS_DOCS) };
    if !caller.allows("user:email") {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", EMAILS_DOCS);
    }
    let emails: Vec<Value> = user.emails.iter().map(json::email).collect();
    let (page, link) = paginate(emails, query.as_deref(), &format!("{}/user/emails", shared.base_url));
    caller.json(StatusCode::OK, &Value::Array(page), link)
}

/// `GET /user/orgs` (`orgs/list-for-authenticated-user`). Without `read:org` or `user` GitHub
/// answers 403.
pub(crate) async fn list_orgs(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match authenticate(&shared, &headers, "admin:org, read:org, repo, user, write:org") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let Some(user) = caller.user() else { return caller.not_accessible_by_integration(ORGS_DOCS) };
    if !caller.allows("read:org") && !caller.allows("user") {
        let message = "You need at least read:org scope or user scope to list your organizations.";
        return caller.error(StatusCode::FORBIDDEN, message, ORGS_DOCS);
    }
    let orgs: Vec<Value> = {
        let mut inner = shared.lock();
        user.orgs.iter().map(|org| json::organization(&shared.base_url, org, inner.org_id(org))).collect()
    };
    let (page, link) = paginate(orgs, query.as_deref(), &format!("{}/user/orgs", shared.base_url));
    caller.json(StatusCode::OK, &Value::Array(page), link)
}

/// `GET /user/memberships/orgs/{org}` (`orgs/get-membership-for-authenticated-user`): 404 when
/// the user is not a member.
pub(crate) async fn get_membership(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let caller = match authenticate(&shared, &headers, "admin:org, read:org, repo, user, write:org") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let Some(user) = caller.user() else { return caller.not_accessible_by_integration(MEMBERSHIP_DOCS) };
    let Some(org_login) = user.member_of(&org).map(str::to_string) else {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", MEMBERSHIP_DOCS);
    };
    let org_id = shared.lock().org_id(&org_login);
    let body = json::membership(&shared.base_url, user, &org_login, org_id);
    caller.json(StatusCode::OK, &body, None)
}
