//! A preview end to end: a repository lists port 3000 and its `start.sh` serves a page there in
//! the sandbox; once the sandbox is ready, the session's owner opens the preview link, enters
//! the preview's own origin with its ticket, and gets the page the sandbox serves, carried over
//! the bridge. Another member cannot get a link to a private session's preview.

mod common;

use std::net::SocketAddr;

use common::*;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::preview::PreviewLink;
use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::{Api, BareRepo, ClientSocket, Stack};

const PAGE: &str = "<!doctype html><title>Widgets</title><h1>Widgets preview</h1>\n";

#[tokio::test]
async fn the_owner_previews_the_page_the_sandbox_serves() -> anyhow::Result<()> {
    let repo = BareRepo::with_files(&[
        ("index.html", PAGE),
        (".openinspect/config.json", "{\"preview_ports\": [3000]}\n"),
        (".openinspect/start.sh", &start_sh_serving(3000)),
    ])?;
    let stack = Stack::start_with(vars(&[("LOCAL_IDENTITY_PICKER", "true")])).await?;
    let ada = stack.cp.api().as_local_user("Ada");
    let bob = stack.cp.api().as_local_user("Bob");
    let request =
        CreateSessionRequest { repo: repo.path().display().to_string(), private: Some(true), ..Default::default() };
    let session = ada.create_session(&request).await?;
    let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;
    let first = ada.prompt(&session.id, &Api::prompt_request("Hello")).await?.message_id;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);

    let events = ada.events(&session.id, 0, 1000).await?;
    let listed = events.events.iter().rev().find_map(|e| match &e.body {
        EventBody::SandboxStatus(s) if !s.preview_ports.is_empty() => Some(s.preview_ports.clone()),
        _ => None,
    });
    assert_eq!(listed, Some(vec![3000]), "{}", diagnostics(&stack));

    let path = format!("/api/sessions/{}/previews/3000", session.id);
    assert_eq!(bob.raw("POST", &path, None).await?.status, 403, "a private session's preview");
    let answer = ada.raw("POST", &path, None).await?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let link: PreviewLink = answer.json()?;
    let host = link.origin.trim_start_matches("http://").split(':').next().unwrap().to_string();
    let addr: SocketAddr = format!("127.0.0.1:{}", stack.cp.port()).parse()?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .resolve(&host, addr)
        .build()?;
    let entered = browser.get(&link.url).send().await?;
    assert_eq!(entered.status(), 302);
    let pass = entered.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let pass = pass.split(';').next().unwrap_or_default().to_string();
    let page = browser.get(format!("{}/", link.origin)).header("cookie", &pass).send().await?;
    assert_eq!(page.status(), 200, "{}", diagnostics(&stack));
    assert!(page
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/html")));
    assert_eq!(page.text().await?, PAGE, "the page the sandbox serves");
    let missing = browser.get(format!("{}/nope.txt", link.origin)).header("cookie", &pass).send().await?;
    assert_eq!(missing.status(), 404, "the app's own answer");
    Ok(())
}
