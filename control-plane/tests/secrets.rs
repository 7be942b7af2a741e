//! Secrets through the API against the built Worker in workerd: write-only values, every limit
//! and bad name refused with its reason and nothing stored, `.env` import (all or nothing), the
//! audit log, who may manage which scope, and the key rotation keeping every secret readable.

mod common;

use oi_protocol::secrets::{
    ImportSecretsResult, RotateSecretsResult, SecretAction, SecretAuditLog, SecretInfo, SecretList,
};
use oi_protocol::{ErrorBody, ErrorCode};
use oi_testkit::{Api, ApiResponse, ControlPlane, ControlPlaneOptions};

const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY_B: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f";
const REPO: &str = "acme%2Fapi";

async fn start(vars: &[(&str, &str)]) -> anyhow::Result<ControlPlane> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await
}

fn put_body(value: &str) -> String {
    serde_json::json!({ "value": value }).to_string()
}

fn refused(answer: &ApiResponse, status: u16, code: ErrorCode, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let ErrorBody { error } = answer.error().expect("an error body");
    assert_eq!(error.code, code, "{}", answer.body);
    assert!(error.message.contains(says), "{:?} should say {says:?}", error.message);
}

async fn list(api: &Api, query: &str) -> anyhow::Result<SecretList> {
    api.raw("GET", &format!("/api/secrets{query}"), None).await?.json()
}

#[tokio::test]
async fn values_go_in_and_never_come_out() -> anyhow::Result<()> {
    let cp = start(&[("SECRETS_KEY", KEY_A)]).await?;
    let api = cp.api();
    let created = api
        .raw("PUT", &format!("/api/secrets/DATABASE_URL?repo={REPO}"), Some(&put_body("postgres://u:hunter2@db/x")))
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);
    let info: SecretInfo = created.json()?;
    assert_eq!((info.name.as_str(), info.size, info.masked.as_str()), ("DATABASE_URL", 25, "••••••••"));
    assert!(!created.body.contains("hunter2"));
    let replaced =
        api.raw("PUT", &format!("/api/secrets/DATABASE_URL?repo={REPO}"), Some(&put_body("postgres://new"))).await?;
    assert_eq!(replaced.status, 200, "{}", replaced.body);

    let listed = api.raw("GET", &format!("/api/secrets?repo={REPO}"), None).await?;
    assert!(!listed.body.contains("hunter2") && !listed.body.contains("postgres"), "{}", listed.body);
    let listed: SecretList = listed.json()?;
    assert_eq!(listed.secrets.len(), 1);
    assert_eq!(listed.used_bytes, "DATABASE_URL".len() as u32 + 14);
    // The scopes are apart: global holds nothing.
    assert!(list(&api, "").await?.secrets.is_empty());

    let audit: SecretAuditLog = api.raw("GET", &format!("/api/secrets/audit?repo={REPO}"), None).await?.json()?;
    let actions: Vec<SecretAction> = audit.entries.iter().map(|e| e.action).collect();
    assert_eq!(actions, [SecretAction::Updated, SecretAction::Created]);
    assert!(audit.entries.iter().all(|e| e.actor == "local" && e.name == "DATABASE_URL"));

    assert_eq!(api.raw("DELETE", &format!("/api/secrets/DATABASE_URL?repo={REPO}"), None).await?.status, 204);
    let again = api.raw("DELETE", &format!("/api/secrets/DATABASE_URL?repo={REPO}"), None).await?;
    refused(&again, 404, ErrorCode::NotFound, "no secret named DATABASE_URL");
    let audit: SecretAuditLog = api.raw("GET", &format!("/api/secrets/audit?repo={REPO}"), None).await?.json()?;
    assert_eq!(audit.entries[0].action, SecretAction::Deleted);
    assert!(!cp.log_tail(400).contains("hunter2"), "a value reached the log");
    Ok(())
}

#[tokio::test]
async fn bad_names_and_every_limit_are_refused_and_nothing_changes() -> anyhow::Result<()> {
    let cp = start(&[("SECRETS_KEY", KEY_A)]).await?;
    let api = cp.api();
    let path = |name: &str| format!("/api/secrets/{name}?repo={REPO}");
    assert_eq!(api.raw("PUT", &path("KEEP"), Some(&put_body("kept"))).await?.status, 201);
    let before = list(&api, &format!("?repo={REPO}")).await?;

    refused(
        &api.raw("PUT", &path("PATH"), Some(&put_body("/evil"))).await?,
        400,
        ErrorCode::InvalidRequest,
        "PATH is reserved",
    );
    refused(
        &api.raw("PUT", &path("OI_SANDBOX_TOKEN"), Some(&put_body("x"))).await?,
        400,
        ErrorCode::InvalidRequest,
        "belong to the sandbox",
    );
    refused(
        &api.raw("PUT", &path("1BAD"), Some(&put_body("x"))).await?,
        400,
        ErrorCode::InvalidRequest,
        "not an environment variable name",
    );
    refused(
        &api.raw("PUT", &path("BIG"), Some(&put_body(&"x".repeat(16 * 1024 + 1)))).await?,
        413,
        ErrorCode::PayloadTooLarge,
        "at most 16384 bytes",
    );
    refused(&api.raw("PUT", &path("NUL"), Some(&put_body("a\u{0}b"))).await?, 400, ErrorCode::InvalidRequest, "NUL");
    refused(&api.raw("PUT", &path("JSON"), Some("{\"value\":")).await?, 400, ErrorCode::BadJson, "");
    refused(&api.raw("PUT", &path("NOVALUE"), Some("{}")).await?, 400, ErrorCode::InvalidRequest, "value");
    // An import with one bad line stores none of it.
    let import = |text: &str| serde_json::json!({ "dotenv": text }).to_string();
    let bad = api.raw("POST", &format!("/api/secrets/import?repo={REPO}"), Some(&import("A=1\nHOME=/x\n"))).await?;
    refused(&bad, 400, ErrorCode::InvalidRequest, "HOME is reserved");
    assert_eq!(list(&api, &format!("?repo={REPO}")).await?.secrets, before.secrets);

    // 49 more by import (one replaces KEEP): 50 in all; the 51st is refused.
    let text: String = (1..50).map(|i| format!("S{i:02}=v{i}\n")).chain(["KEEP=again\n".to_string()]).collect();
    let imported: ImportSecretsResult =
        api.raw("POST", &format!("/api/secrets/import?repo={REPO}"), Some(&import(&text))).await?.json()?;
    assert_eq!((imported.created.len(), imported.updated.as_slice()), (49, &["KEEP".to_string()][..]));
    let full = list(&api, &format!("?repo={REPO}")).await?;
    assert_eq!(full.secrets.len(), 50);
    refused(
        &api.raw("PUT", &path("ONE_MORE"), Some(&put_body("x"))).await?,
        413,
        ErrorCode::PayloadTooLarge,
        "at most 50 secrets",
    );
    assert_eq!(
        api.raw("PUT", &path("S01"), Some(&put_body("replaced"))).await?.status,
        200,
        "a replacement still fits"
    );

    // 64 KiB per scope (another repository).
    let other = |name: &str| format!("/api/secrets/{name}?repo=acme%2Fweb");
    for i in 0..4 {
        assert_eq!(api.raw("PUT", &other(&format!("V{i}")), Some(&put_body(&"x".repeat(16_000)))).await?.status, 201);
    }
    refused(
        &api.raw("PUT", &other("V4"), Some(&put_body(&"x".repeat(2_000)))).await?,
        413,
        ErrorCode::PayloadTooLarge,
        "65536 bytes",
    );
    assert_eq!(list(&api, "?repo=acme%2Fweb").await?.secrets.len(), 4);
    Ok(())
}

#[tokio::test]
async fn without_a_key_writes_are_refused_as_misconfigured() -> anyhow::Result<()> {
    let cp = start(&[]).await?;
    let api = cp.api();
    let answer = api.raw("PUT", "/api/secrets/TOKEN", Some(&put_body("x"))).await?;
    refused(&answer, 503, ErrorCode::Misconfigured, "SECRETS_KEY");
    assert!(list(&api, "").await?.secrets.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_key_rotation_keeps_every_secret_readable() -> anyhow::Result<()> {
    let mut cp = start(&[("SECRETS_KEY", KEY_A), ("SECRETS_KEY_ID", "a")]).await?;
    let api = cp.api();
    for (path, value) in [
        ("/api/secrets/G1", "g1"),
        ("/api/secrets/R1?repo=acme%2Fapi", "r1"),
        ("/api/secrets/R2?repo=acme%2Fapi", "r2"),
    ] {
        assert_eq!(api.raw("PUT", path, Some(&put_body(value))).await?.status, 201);
    }
    // Deploy a new key, keeping the old one as previous; rotate.
    cp.restart_with_vars(&[
        ("SECRETS_KEY", KEY_B),
        ("SECRETS_KEY_ID", "b"),
        ("SECRETS_KEY_PREVIOUS", KEY_A),
        ("SECRETS_KEY_PREVIOUS_ID", "a"),
    ])
    .await?;
    let rotated: RotateSecretsResult = cp.api().raw("POST", "/api/secrets/rotate", None).await?.json()?;
    assert_eq!((rotated.key_id.as_str(), rotated.reencrypted, rotated.current), ("b", 3, 0));
    assert!(rotated.unreadable.is_empty(), "{:?}", rotated.unreadable);
    // Drop the old key: everything still opens under the new one.
    cp.restart_with_vars(&[("SECRETS_KEY_PREVIOUS", ""), ("SECRETS_KEY_PREVIOUS_ID", "")]).await?;
    let verified: RotateSecretsResult = cp.api().raw("POST", "/api/secrets/rotate", None).await?.json()?;
    assert_eq!((verified.reencrypted, verified.current), (0, 3));
    assert!(verified.unreadable.is_empty(), "{:?}", verified.unreadable);
    let audit: SecretAuditLog = cp.api().raw("GET", "/api/secrets/audit?repo=acme%2Fapi", None).await?.json()?;
    assert_eq!(
        audit.entries.iter().filter(|e| e.action == SecretAction::Reencrypted && e.actor == "system").count(),
        2
    );
    // A deployment that lost the key reports the secrets it cannot open, and changes nothing.
    cp.restart_with_vars(&[("SECRETS_KEY", KEY_A), ("SECRETS_KEY_ID", "a")]).await?;
    let lost: RotateSecretsResult = cp.api().raw("POST", "/api/secrets/rotate", None).await?.json()?;
    assert_eq!(lost.unreadable.len(), 3, "{lost:?}");
    assert_eq!(lost.reencrypted, 0);
    Ok(())
}

#[tokio::test]
async fn members_manage_repository_secrets_and_only_admins_global_ones() -> anyhow::Result<()> {
    let stack = common::GithubStack::start(&[("SECRETS_KEY", KEY_A)]).await?;
    let own = stack.cp.base_url();
    let mut ada = stack.sign_in("ada").await?;
    let mut grace = stack.sign_in("grace").await?;
    let body = put_body("v");
    let global = grace.send("PUT", "/api/secrets/TOKEN", Some(&body), Some(&own)).await;
    assert_eq!(global.status(), 403);
    assert_eq!(grace.send("GET", "/api/secrets", None, Some(&own)).await.status(), 403);
    assert_eq!(grace.send("POST", "/api/secrets/rotate", None, Some(&own)).await.status(), 403);
    assert_eq!(grace.send("PUT", "/api/secrets/TOKEN?repo=acme%2Fapi", Some(&body), Some(&own)).await.status(), 201);
    assert_eq!(ada.send("PUT", "/api/secrets/TOKEN", Some(&body), Some(&own)).await.status(), 201);
    let listed: SecretList = ada.send("GET", "/api/secrets", None, Some(&own)).await.json().await?;
    assert_eq!(listed.secrets.len(), 1);
    // Cross-site writes are refused like any other.
    let forged = grace.send("PUT", "/api/secrets/X?repo=acme%2Fapi", Some(&body), Some("https://evil.test")).await;
    assert_eq!(forged.status(), 403);
    Ok(())
}
