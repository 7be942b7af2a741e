//! Who may manage which automation, in GitHub sign-in mode against the built Worker: members
//! create and see their own, another member's is refused on every route, admins see and manage
//! all; integrations' settings and the links from vendors' users to people are for admins only.

mod common;

use common::GithubStack;
use oi_protocol::automations::{AutomationList, AutomationWithSecret};
use oi_protocol::integrations::IntegrationLinkList;
use oi_protocol::ErrorBody;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[tokio::test]
async fn members_manage_their_own_automations_and_admins_all() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[("SECRETS_KEY", KEY)]).await?;
    let own = stack.cp.base_url();
    let mut ada = stack.sign_in("ada").await?; // the first to sign in: admin
    let mut grace = stack.sign_in("grace").await?;
    let mut linus = stack.sign_in("linus").await?;

    let body = r#"{"name":"Grace's nightly","repo":"acme/api","prompt":"Tidy up","trigger":{"type":"schedule","cron":"0 3 * * *"}}"#;
    let created = grace.send("POST", "/api/automations", Some(body), Some(&own)).await;
    assert_eq!(created.status(), 201);
    let created: AutomationWithSecret = created.json().await?;
    assert_eq!(created.automation.owner.login.as_deref(), Some("grace"));
    let path = format!("/api/automations/{}", created.automation.id);

    // Another member: not in their list, refused on every route, nothing changes.
    let theirs: AutomationList = linus.send("GET", "/api/automations", None, None).await.json().await?;
    assert!(theirs.automations.is_empty());
    for (method, route, body) in [
        ("GET", path.clone(), None),
        ("PATCH", path.clone(), Some(r#"{"name":"mine now"}"#)),
        ("POST", format!("{path}/pause"), None),
        ("POST", format!("{path}/runs"), None),
        ("POST", format!("{path}/secret"), None),
        ("GET", format!("{path}/runs"), None),
        ("DELETE", path.clone(), None),
    ] {
        let answer = linus.send(method, &route, body, Some(&own)).await;
        assert_eq!(answer.status(), 403, "{method} {route}");
        let ErrorBody { error } = answer.json().await?;
        assert_eq!(error.message, "only its owner or an admin can manage it");
    }
    let still: AutomationList = grace.send("GET", "/api/automations", None, None).await.json().await?;
    assert_eq!(still.automations.len(), 1);
    assert_eq!(still.automations[0].name, "Grace's nightly");
    assert!(still.automations[0].enabled);

    // An admin sees every one and may manage it.
    let all: AutomationList = ada.send("GET", "/api/automations", None, None).await.json().await?;
    assert_eq!(all.automations.len(), 1);
    assert_eq!(ada.send("POST", &format!("{path}/pause"), None, Some(&own)).await.status(), 200);

    // Integrations are for admins.
    assert_eq!(grace.send("GET", "/api/integrations", None, None).await.status(), 403);
    let put = grace.send("PUT", "/api/integrations/sentry", Some(r#"{"enabled":false}"#), Some(&own)).await;
    assert_eq!(put.status(), 403);
    assert_eq!(ada.send("GET", "/api/integrations", None, None).await.status(), 200);
    Ok(())
}

#[tokio::test]
async fn admins_link_a_vendors_user_to_a_person() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[("SECRETS_KEY", KEY)]).await?;
    let own = stack.cp.base_url();
    let mut ada = stack.sign_in("ada").await?;
    let mut grace = stack.sign_in("grace").await?;
    let link = "/api/integrations/slack/links/U0GRACE";

    let by_member = grace.send("PUT", link, Some(r#"{"user_id":"gh-2"}"#), Some(&own)).await;
    assert_eq!(by_member.status(), 403);
    let too_long = format!("/api/integrations/slack/links/{}", "U".repeat(101));
    for (path, body, says) in [
        (link.to_string(), r#"{"user_id":"gh-99"}"#, "no person"),
        (too_long, r#"{"user_id":"gh-2"}"#, "vendor_user_id"),
    ] {
        let answer = ada.send("PUT", &path, Some(body), Some(&own)).await;
        assert_eq!(answer.status(), 400, "{path}");
        let ErrorBody { error } = answer.json().await?;
        assert!(error.message.contains(says), "{}", error.message);
    }
    let empty: IntegrationLinkList = ada.send("GET", "/api/integrations/slack/links", None, None).await.json().await?;
    assert!(empty.links.is_empty(), "a refused link was stored");

    let made = ada.send("PUT", link, Some(r#"{"user_id":"gh-2"}"#), Some(&own)).await;
    assert_eq!(made.status(), 200);
    let listed: IntegrationLinkList = ada.send("GET", "/api/integrations/slack/links", None, None).await.json().await?;
    assert_eq!(listed.links.len(), 1);
    let only = &listed.links[0];
    assert_eq!(
        (only.vendor_user_id.as_str(), only.user_id.as_str(), only.created_by.as_str()),
        ("U0GRACE", "gh-2", "gh-1")
    );
    assert_eq!(ada.send("DELETE", link, None, Some(&own)).await.status(), 204);
    assert_eq!(ada.send("DELETE", link, None, Some(&own)).await.status(), 404);
    Ok(())
}
