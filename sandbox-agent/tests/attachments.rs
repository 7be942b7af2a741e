//! A prompt's attached images reach the model: the real `sandbox-agent` binary against a fake
//! control plane (`common`, which serves the session's `GET /sandbox/media/:media_id`), the
//! pinned OpenCode and the scripted model. The supervisor reads each attachment through its
//! egress and hands it to OpenCode as a file part; OpenCode sends it to the model as an
//! `image_url` part with a `data:image/png;base64,…` URL, which the scripted model records. An
//! attachment that cannot be read is named in a warning, and the prompt still runs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use common::{bare_repo, opencode_bin, ControlPlane};
use oi_protocol::bridge::{AgentEvent, BridgeCommand, PromptCommand};
use oi_protocol::events::{NoticeLevel, PromptOutcome};
use oi_protocol::media::{MediaInfo, MediaKind, MediaType};
use oi_protocol::supervisor_env as var;
use oi_protocol::User;
use oi_scripted_model::ScriptedModel;

const WAIT: Duration = Duration::from_secs(90);
const SESSION: &str = "ses_attach";
const TOKEN: &str = "token-attach";

/// A 1×1 PNG.
const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn attachment(media_id: &str, name: &str, size: u64) -> MediaInfo {
    MediaInfo {
        media_id: media_id.into(),
        kind: MediaKind::Attachment,
        name: name.into(),
        content_type: MediaType::Png,
        size,
        width: Some(1),
        height: Some(1),
        url: format!("/api/sessions/{SESSION}/media/{media_id}"),
        caption: None,
        source_url: None,
        evidence: false,
    }
}

/// The provider's environment for a fresh session's sandbox under `dir`.
fn environment(dir: &Path, control_plane: &str) -> BTreeMap<String, String> {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let opencode = opencode_bin();
    assert!(opencode.exists(), "OpenCode is missing at {} (scripts/setup installs it)", opencode.display());
    let agent = common::scripted_agent();
    BTreeMap::from([
        ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".to_string(), path(&dir.join("home"))),
        (var::SESSION_ID.to_string(), SESSION.to_string()),
        (var::SANDBOX_ID.to_string(), "sbx_attach".to_string()),
        (var::SANDBOX_TOKEN_ON_STDIN.to_string(), "1".to_string()),
        (var::CONTROL_PLANE_URL.to_string(), control_plane.to_string()),
        (var::REPO_URL.to_string(), "/nonexistent/repo.git".to_string()),
        (var::BRANCH.to_string(), "main".to_string()),
        (var::WORKSPACE.to_string(), path(&dir.join("workspace"))),
        (var::STATE_DIR.to_string(), path(&dir.join("state"))),
        (var::OPENCODE_BIN.to_string(), path(&opencode)),
        (var::AGENT_CONFIG.to_string(), serde_json::to_string(&agent).unwrap()),
    ])
}

#[tokio::test]
async fn an_attached_image_reaches_the_model_as_an_image_url() {
    let dir = tempfile::tempdir().unwrap();
    let repo = bare_repo(dir.path(), &[("README.md", "hi\n")]);
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let mut cp = ControlPlane::start(SESSION, TOKEN, model.url(), repo).await;
    let png = base64::engine::general_purpose::STANDARD.decode(PNG_BASE64).unwrap();
    cp.store_media("med_shot", "image/png", png.clone());

    let (mut child, log_path) = common::start_supervisor(dir.path(), environment(dir.path(), &cp.url), TOKEN).await;
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    cp.events_until(WAIT, |e| matches!(e, AgentEvent::Ready { .. })).await;

    cp.send(BridgeCommand::Prompt(PromptCommand {
        message_id: "msg_img".into(),
        text: "What does the attached screenshot show?".into(),
        author: User { id: "u1".into(), name: "Ada".into(), email: "ada@acme.test".into(), login: None },
        model: "scripted/test-model".into(),
        attribution: None,
        attachments: vec![attachment("med_shot", "shot.png", png.len() as u64), attachment("med_gone", "gone.png", 9)],
    }));
    let events =
        cp.events_until(WAIT, |e| matches!(e, AgentEvent::PromptFinished(p) if p.message_id == "msg_img")).await;
    let Some(AgentEvent::PromptFinished(end)) = events.last() else { unreachable!() };
    assert_eq!(end.outcome, PromptOutcome::Completed, "{events:#?}\n{}", log());

    // The attachment that could not be read is named, and the prompt ran without it.
    let warnings: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Notice(n) if n.level == NoticeLevel::Warning => Some(n.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        ["The attached image \"gone.png\" (med_gone) could not be read, so the prompt runs without it: \
          the control plane refused: no such media (not_found)"],
        "{events:#?}"
    );

    // The model was shown the image: an `image_url` part with the bytes as a data URL, after
    // the prompt's text, in the user's message.
    let requests = model.requests();
    let asked = requests
        .iter()
        .find(|r| r.body["tools"].as_array().is_some_and(|t| !t.is_empty()))
        .unwrap_or_else(|| panic!("no prompt reached the model: {requests:#?}\n{}", log()));
    let data_url = format!("data:image/png;base64,{PNG_BASE64}");
    assert_eq!(asked.images.len(), 1, "{:#?}", asked.images);
    let image = &asked.images[0];
    assert_eq!(
        (image.role.as_str(), image.mime.as_deref(), image.bytes, image.url.as_str()),
        ("user", Some("image/png"), Some(png.len()), data_url.as_str())
    );
    let content = asked.body["messages"][image.message]["content"].as_array().unwrap();
    let texts: Vec<&str> = content[..image.part].iter().filter_map(|p| p["text"].as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("What does the attached screenshot show?")), "{content:#?}");

    cp.close(4410);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("exits").unwrap();
    assert!(status.success(), "{status}\n{}", log());
}
