//! What the routes do: create (fresh, from a repo image, or as a warm-pool sandbox), restore,
//! terminate and snapshot sandboxes.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oi_protocol::provider::{check_work_branch, BootMode, CreateSandbox, RestoreSandbox, SandboxInfo, SnapshotInfo};
use oi_protocol::{ApiError, ErrorCode};

use crate::app::{App, SandboxEntry};
use crate::auth::now_ms;
use crate::env::sandbox_env;
use crate::error::{HttpError, HttpResult};
use crate::gateway::Allowlist;
use crate::ids::{check_id, new_snapshot_id};
use crate::images::ImageEntry;
use crate::layout::SandboxPaths;
use crate::repo::{check_local_repo, is_local, repo_url_for};
use crate::sandbox::{launch, LaunchSpec};
use crate::{image_build, snapshot};

/// Checks a request's fields before anything is created.
pub fn validate(req: &CreateSandbox) -> Result<(), ApiError> {
    check_id("sandbox_id", &req.sandbox_id)?;
    check_id("session_id", &req.session_id)?;
    if let Some(image_id) = &req.image_id {
        check_id("image_id", image_id)?;
    }
    for (field, value) in [
        ("repo", &req.repo),
        ("branch", &req.branch),
        ("control_plane_url", &req.control_plane_url),
        ("sandbox_token", &req.sandbox_token),
    ] {
        if value.trim().is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{field} must not be empty")));
        }
    }
    if let Some(branch) = &req.work_branch {
        check_work_branch(branch)
            .map_err(|why| ApiError::new(ErrorCode::InvalidRequest, format!("work_branch: {why}")))?;
        if req.pool {
            let why = "work_branch is not for a warm-pool sandbox (a claim gives it a session on oi/<id>)";
            return Err(ApiError::new(ErrorCode::InvalidRequest, why));
        }
    }
    Ok(())
}

fn make_dir(path: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// What a new sandbox's workspace and state are copied from.
enum Source {
    Empty,
    Snapshot(PathBuf),
    Image(Arc<ImageEntry>),
}

async fn prepare_dirs(app: &App, paths: &SandboxPaths, source: &Source) -> HttpResult<()> {
    let io = |e: std::io::Error| HttpError::internal("cannot prepare the sandbox directory", e);
    make_dir(&paths.dir).map_err(io)?;
    match source {
        Source::Snapshot(snapshot) => snapshot::restore_into(snapshot, paths, &app.host_path).await.map_err(io)?,
        Source::Image(image) => {
            // The image may have been deleted since it was looked up: checked again, holding it.
            let _reading = image.files.read().await;
            image.check_ready()?;
            snapshot::restore_into(&image.paths.dir, paths, &app.host_path).await.map_err(io)?
        }
        Source::Empty => {
            make_dir(&paths.workspace).map_err(io)?;
            make_dir(&paths.state).map_err(io)?;
        }
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&paths.home).map_err(io)
}

/// The ready image a request names: 404 when unknown, 409 when not ready.
fn find_image(app: &App, image_id: &str) -> HttpResult<Arc<ImageEntry>> {
    let image = app
        .image(image_id)
        .ok_or_else(|| HttpError::new(ErrorCode::NotFound, format!("image {image_id} does not exist")))?;
    image.check_ready()?;
    Ok(image)
}

/// Creates a sandbox and starts its supervisor: from a snapshot's copy when `from_snapshot` is
/// given (in `snapshot_restore` mode), else from the image `req.image_id` names (in
/// `repo_image` mode), else empty. `req.pool` makes it a warm-pool sandbox (`OI_POOL=1`).
pub async fn create(app: &Arc<App>, req: CreateSandbox, from_snapshot: Option<PathBuf>) -> HttpResult<SandboxInfo> {
    validate(&req)?;
    let (source, boot_mode) = match (from_snapshot, &req.image_id) {
        (Some(dir), _) => (Source::Snapshot(dir), BootMode::SnapshotRestore),
        (None, Some(image_id)) => (Source::Image(find_image(app, image_id)?), BootMode::RepoImage),
        (None, None) => (Source::Empty, req.boot_mode),
    };
    let local_repo = if is_local(&req.repo) {
        Some(check_local_repo(&req.repo, &app.config.repo_roots, &app.config.root)?)
    } else {
        None
    };
    let config = &app.config;
    let paths = SandboxPaths::new(&config.root, &req.sandbox_id);
    let repo_url = repo_url_for(&req.repo, &req.sandbox_id, &app.public_url);
    let inside = paths.as_seen_inside(config.isolation == crate::isolation::Isolation::Bwrap);
    let mut env = sandbox_env(&req, &inside, &repo_url, boot_mode, &config.opencode_bin)?;
    crate::env::with_host_settings(&mut env, |name| std::env::var(name).ok());

    // A pool sandbox's claim channel: the supervisor reads its claim from this pipe, not a file.
    let claim_channel = match req.pool {
        true => Some(std::io::pipe().map_err(|e| HttpError::internal("cannot make the claim channel", e))?),
        false => None,
    };
    let entry = Arc::new(SandboxEntry::new(&req, now_ms(), paths.clone(), local_repo));
    // Held until the supervisor runs, so a terminate that arrives meanwhile waits for it.
    let _starting = entry.lifecycle.lock().await;
    app.reserve(entry.clone())?;
    if let Err(e) = prepare_dirs(app, &paths, &source).await {
        app.forget(&entry.id);
        let _ = std::fs::remove_dir_all(&paths.dir);
        return Err(e);
    }
    let network = Allowlist::new(
        &req.control_plane_url,
        &app.public_url,
        &req.sandbox_id,
        entry.gateway_session.clone(),
        &req.network_allow,
    );
    let mut spec = LaunchSpec::new(config, &req.sandbox_id, &paths, env, network);
    if let Some((reader, writer)) = claim_channel {
        entry.set_claim_channel(writer.into());
        spec.claim = Some(reader.into());
    }
    match launch(spec).await {
        Ok(process) => {
            tracing::info!(sandbox = %entry.id, pid = process.pid(), mode = boot_mode.as_str(), pool = req.pool, "sandbox started");
            entry.set_process(process);
        }
        Err(e) => {
            tracing::error!(sandbox = %entry.id, "cannot start the supervisor: {e}");
            entry.set_failed(format!("cannot start the supervisor: {e}"));
        }
    }
    Ok(entry.info())
}

/// Starts a new sandbox from a snapshot.
pub async fn restore(app: &Arc<App>, req: RestoreSandbox) -> HttpResult<SandboxInfo> {
    check_id("snapshot_id", &req.snapshot_id)?;
    // Held until the copy is made, so garbage collection does not delete the snapshot under it.
    let _reading = app.snapshots_in_use.hold(&req.snapshot_id);
    let dir = snapshot::find(&app.config.root, &req.snapshot_id).ok_or_else(|| {
        let message = format!("snapshot {} does not exist (never taken, or garbage-collected)", req.snapshot_id);
        HttpError::new(ErrorCode::NotFound, message)
    })?;
    create(app, req.sandbox, Some(dir)).await
}

/// Terminates a sandbox (idempotent): back when nothing it started is left.
pub async fn terminate(app: &App, entry: &SandboxEntry) -> SandboxInfo {
    let _guard = entry.lifecycle.lock().await;
    if !entry.is_terminated() {
        if let Some(process) = entry.process() {
            process.terminate(app.config.terminate_grace).await;
        }
        entry.set_terminated();
        tracing::info!(sandbox = %entry.id, "sandbox terminated");
    }
    entry.info()
}

/// Terminates every sandbox and stops every image build, all at once.
pub async fn terminate_all(app: &Arc<App>) {
    let mut set = tokio::task::JoinSet::new();
    for image in app.all_images() {
        let app = app.clone();
        set.spawn(async move {
            image_build::stop(&app, &image).await;
        });
    }
    for entry in app.all() {
        let app = app.clone();
        set.spawn(async move {
            terminate(&app, &entry).await;
        });
    }
    while set.join_next().await.is_some() {}
}

/// Snapshots a sandbox's workspace and state.
pub async fn take_snapshot(app: &App, entry: &SandboxEntry) -> HttpResult<SnapshotInfo> {
    let snapshot_id = new_snapshot_id().map_err(|e| HttpError::internal("cannot make a snapshot id", e))?;
    let info = SnapshotInfo {
        snapshot_id,
        sandbox_id: entry.id.clone(),
        session_id: entry.session_id(),
        created_at: now_ms(),
        runtime_version: app.config.runtime_version.clone(),
        runtime_generation: oi_protocol::provider::RUNTIME_GENERATION,
        size_bytes: None,
    };
    // Garbage collection leaves the copy alone while it is made.
    let _writing = app.snapshots_in_use.hold(&snapshot::tmp_name(&info.snapshot_id));
    let info = snapshot::take(&app.config.root, &entry.paths, info, &app.host_path)
        .await
        .map_err(|e| HttpError::internal("cannot snapshot the sandbox", e))?;
    tracing::info!(sandbox = %entry.id, snapshot = %info.snapshot_id, bytes = info.size_bytes, "snapshot taken");
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::agent::AgentConfig;

    fn request() -> CreateSandbox {
        CreateSandbox {
            session_id: "ses_1".into(),
            sandbox_id: "sbx_1".into(),
            repo: "https://example.com/r.git".into(),
            branch: "main".into(),
            control_plane_url: "http://127.0.0.1:8787".into(),
            sandbox_token: "t".into(),
            agent: AgentConfig { model: "m/x".into(), providers: vec![] },
            env: Default::default(),
            boot_mode: BootMode::Fresh,
            image_id: None,
            pool: false,
            network_allow: vec![],
            work_branch: None,
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert!(validate(&request()).is_ok());
        assert!(validate(&CreateSandbox { work_branch: Some("feature/x".into()), ..request() }).is_ok());
        type Change = fn(&mut CreateSandbox);
        let cases: [(Change, &str); 9] = [
            (|r| r.image_id = Some("../img".into()), "image_id"),
            (|r| r.sandbox_id = "../etc".into(), "sandbox_id"),
            (|r| r.session_id = "a/b".into(), "session_id"),
            (|r| r.repo = "".into(), "repo"),
            (|r| r.sandbox_token = " ".into(), "sandbox_token"),
            (|r| r.branch = "".into(), "branch"),
            (|r| r.work_branch = Some("--force".into()), "work_branch"),
            (|r| r.work_branch = Some("refs/heads/main".into()), "work_branch"),
            (|r| (r.work_branch, r.pool) = (Some("feature".into()), true), "work_branch"),
        ];
        for (change, field) in cases {
            let mut r = request();
            change(&mut r);
            let e = validate(&r).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.message.starts_with(field), "{}", e.message);
        }
    }
}
