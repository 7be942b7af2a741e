//! The payloads, shaped like the schemas of `openapi-subset.json` (`private-user`,
//! `public-user`, `simple-user`, `email`, `organization-simple`, `org-membership`). Every URL
//! points at the double itself, so nothing in a payload leads off the machine.

use serde_json::{json, Map, Value};

use crate::config::{EmailConfig, UserConfig};
use crate::ids::node_id;

/// The fixed account dates of every double user.
const CREATED_AT: &str = "2020-01-01T00:00:00Z";

/// `simple-user`: the user as it appears inside other objects.
pub(crate) fn simple_user(base: &str, user: &UserConfig) -> Value {
    account(base, &user.login, user.id, "User")
}

/// `simple-user` for any account: `kind` is `User`, `Organization` or `Bot`.
pub(crate) fn account(base: &str, login: &str, id: u64, kind: &str) -> Value {
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id(kind, id),
        "avatar_url": avatar_url(base, id),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false
    })
}

/// `GET /user`: `private-user` when the token may see private profile data, else
/// `public-user` (told apart by `user_view_type`).
pub(crate) fn authenticated_user(base: &str, user: &UserConfig, private: bool) -> Value {
    let mut fields = object(simple_user(base, user));
    let public = json!({
        "user_view_type": if private { "private" } else { "public" },
        "name": user.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": user.public_email(),
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "notification_email": if private { user.primary_email() } else { None },
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT
    });
    fields.extend(object(public));
    if private {
        let private_fields = json!({
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": true,
            "plan": { "name": "free", "space": 976_562_499, "private_repos": 10_000, "collaborators": 0 }
        });
        fields.extend(object(private_fields));
    }
    Value::Object(fields)
}

/// `email`: one entry of `GET /user/emails`.
pub(crate) fn email(email: &EmailConfig) -> Value {
    json!({
        "email": email.email,
        "primary": email.primary,
        "verified": email.verified,
        "visibility": email.visibility
    })
}

/// `organization-simple`.
pub(crate) fn organization(base: &str, login: &str, id: u64) -> Value {
    let api = format!("{base}/orgs/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id("Organization", id),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events"),
        "hooks_url": format!("{api}/hooks"),
        "issues_url": format!("{api}/issues"),
        "members_url": format!("{api}/members{{/member}}"),
        "public_members_url": format!("{api}/public_members{{/member}}"),
        "avatar_url": avatar_url(base, id),
        "description": null
    })
}

/// `org-membership`: an active, direct, plain-member membership.
pub(crate) fn membership(base: &str, user: &UserConfig, org_login: &str, org_id: u64) -> Value {
    json!({
        "url": format!("{base}/orgs/{org_login}/memberships/{}", user.login),
        "state": "active",
        "role": "member",
        "organization_url": format!("{base}/orgs/{org_login}"),
        "direct_membership": true,
        "enterprise_teams_providing_indirect_membership": [],
        "organization": organization(base, org_login, org_id),
        "user": simple_user(base, user)
    })
}

fn avatar_url(base: &str, id: u64) -> String {
    format!("{base}/avatars/u/{id}?v=4")
}

pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
