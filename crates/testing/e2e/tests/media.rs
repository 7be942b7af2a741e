//! Media end to end, through the whole local stack: a repository whose `start.sh` serves a page
//! in the sandbox. An image attached to a prompt reaches the model as image content; the
//! scripted agent calls its `screenshot` tool, which opens the page in the sandbox's headless
//! Chromium and uploads the capture; the artifact is logged, stored in R2 and served with the
//! session's access checks; and the pull request the agent opens on the GitHub double shows it
//! as evidence, through a link anyone holding it can open.

mod common;

use common::*;
use oi_github_double::{DoubleConfig, GithubDouble};
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::media::{MediaKind, MediaType};
use oi_protocol::rest::CreateSessionRequest;
use oi_scripted_model::Turn;
use oi_testkit::media::{png, png_size};
use oi_testkit::{github_app, Api, BareRepo, ClientSocket, Stack, StackOptions};
use serde_json::json;

const PAGE: &str = "<!doctype html><html><body style=\"margin:0;background:#0a7\"><h1>Widgets</h1></body></html>\n";

#[tokio::test]
async fn an_attached_image_reaches_the_model_and_a_screenshot_becomes_evidence_in_the_pr() -> anyhow::Result<()> {
    let repo = BareRepo::with_files(&[
        ("README.md", "# widgets\n"),
        ("index.html", PAGE),
        (".openinspect/start.sh", &start_sh_serving(3000)),
    ])?;
    let github =
        GithubDouble::start(github_app::with_app(DoubleConfig::new("Iv1.e2e", "unused"), &repo.path())).await?;
    let mut vars = github_app::control_plane_vars(&github.url);
    vars.push(("LOCAL_IDENTITY_PICKER".into(), "true".into()));
    let stack = Stack::start_with(StackOptions { vars }).await?;
    github_app::connect(&github, &stack.cp.base_url()).await?;

    let ada = stack.cp.api().as_local_user("Ada");
    let bob = stack.cp.api().as_local_user("Bob");
    let request = CreateSessionRequest {
        repo: "acme/widgets".into(),
        branch: Some("main".into()),
        private: Some(true),
        ..Default::default()
    };
    let session = ada.create_session(&request).await?;
    let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;

    // An image attached to a prompt is image content in the model's request.
    let mockup = png(40, 30, [10, 120, 200]);
    let attached = ada.upload_attachment(&session.id, "mockup.png", &mockup, "image/png").await?;
    let mut asked = Api::prompt_request("What colour is the mockup?");
    asked.attachments = vec![attached.media_id.clone()];
    let first = ada.prompt(&session.id, &asked).await?.message_id;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);
    let images: Vec<_> = stack.model.requests().into_iter().flat_map(|r| r.images).collect();
    let image = images.first().unwrap_or_else(|| panic!("no image reached the model\n{}", diagnostics(&stack)));
    assert_eq!(
        (image.role.as_str(), image.mime.as_deref(), image.bytes),
        ("user", Some("image/png"), Some(mockup.len()))
    );
    let turn = client.transcript().turns.into_iter().find(|t| t.message_id == first).expect("the first turn");
    assert_eq!(turn.attachments, vec![attached.clone()], "the prompt shows its attachment");

    // The agent makes a change, takes a screenshot of the app as evidence, and opens its PR.
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "printf 'banner\\n' > banner.txt", "description": "add the banner"})),
        Turn::tool_call(
            "openinspect_screenshot",
            json!({"url": "http://127.0.0.1:3000/", "name": "home.png", "caption": "The home page", "evidence": true}),
        ),
        Turn::tool_call("openinspect_create_pull_request", json!({"summary": "Adds the banner."})),
        Turn::text("Opened the pull request with a screenshot."),
    ]);
    let second = ada.prompt(&session.id, &Api::prompt_request("Add the banner and show me")).await?.message_id;
    let finished = wait_finished(&stack, &mut client, &second).await?;
    assert_eq!(finished.outcome, PromptOutcome::Completed, "{}", diagnostics(&stack));
    let tools = tool_output(&client, &second);
    let parts = client.transcript().turns.into_iter().find(|t| t.message_id == second).map(|t| t.parts);
    assert!(tools.contains("Saved screenshot"), "{parts:#?}\n{}", diagnostics(&stack));

    let events = ada.events(&session.id, 0, 1000).await?;
    let shot = events
        .events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Artifact(a) if a.message_id.as_deref() == Some(second.as_str()) => Some(a.media.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no artifact event\n{tools}"));
    assert_eq!((shot.kind, shot.content_type, shot.evidence), (MediaKind::Screenshot, MediaType::Png, true));
    assert_eq!((shot.width, shot.height), (Some(1280), Some(800)));
    assert_eq!(shot.source_url.as_deref(), Some("http://127.0.0.1:3000/"));

    // Stored in R2 and served with the session's access rules.
    let read = ada.get_bytes(&shot.url, &[]).await?;
    assert_eq!(read.status, 200);
    assert_eq!(png_size(&read.body), Some((1280, 800)), "a real PNG of the page");
    assert_eq!(bob.get_bytes(&shot.url, &[]).await?.status, 403, "another member, a private session");

    // The pull request shows it, through a link that opens without a cookie.
    let pulls = github.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1, "{tools}");
    let body = pulls[0].body.clone().unwrap_or_default();
    let start = body.find("![The home page](<").unwrap_or_else(|| panic!("no screenshot in the PR body:\n{body}"));
    let link = &body[start + "![The home page](<".len()..];
    let link = &link[..link.find(">)").expect("the link's end")];
    assert!(link.contains(&format!("/shared-media/{}?key=", shot.media_id)), "{link}");
    let anonymous = stack.cp.api().anonymous();
    let path = &link[link.find("/api/").expect("a control-plane path")..];
    let opened = anonymous.get_bytes(path, &[]).await?;
    assert_eq!((opened.status, opened.body.len()), (200, read.body.len()));
    Ok(())
}
