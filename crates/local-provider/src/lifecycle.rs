//! What the routes do: create, restore, terminate and snapshot sandboxes.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oi_protocol::provider::{BootMode, CreateSandbox, RestoreSandbox, SandboxInfo, SnapshotInfo};
use oi_protocol::{ApiError, ErrorCode};

use crate::app::{App, SandboxEntry};
use crate::auth::now_ms;
use crate::env::sandbox_env;
use crate::error::{HttpError, HttpResult};
use crate::ids::{check_id, new_snapshot_id};
use crate::isolation::Mounts;
use crate::layout::SandboxPaths;
use crate::repo::{check_local_repo, is_local, repo_url_for};
use crate::sandbox::{launch, LaunchSpec};
use crate::snapshot;
use crate::token::token_hash;

/// Checks a request's fields before anything is created.
pub fn validate(req: &CreateSandbox) -> Result<(), ApiError> {
    check_id("sandbox_id", &req.sandbox_id)?;
    check_id("session_id", &req.session_id)?;
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
    Ok(())
}

fn make_dir(path: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

async fn prepare_dirs(app: &App, paths: &SandboxPaths, from_snapshot: Option<&Path>) -> std::io::Result<()> {
    make_dir(&paths.dir)?;
    match from_snapshot {
        Some(snapshot) => snapshot::restore_into(snapshot, paths, &app.host_path).await?,
        None => {
            make_dir(&paths.workspace)?;
            make_dir(&paths.state)?;
        }
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&paths.home)
}

/// Creates a sandbox and starts its supervisor; from a snapshot's copy when `from_snapshot` is
/// given (and then in `snapshot_restore` mode).
pub async fn create(app: &Arc<App>, req: CreateSandbox, from_snapshot: Option<PathBuf>) -> HttpResult<SandboxInfo> {
    validate(&req)?;
    let boot_mode = if from_snapshot.is_some() { BootMode::SnapshotRestore } else { req.boot_mode };
    let local_repo = if is_local(&req.repo) { Some(check_local_repo(&req.repo)?) } else { None };
    let config = &app.config;
    let paths = SandboxPaths::new(&config.root, &req.sandbox_id);
    let repo_url = repo_url_for(&req.repo, &req.sandbox_id, &app.public_url);
    let inside = paths.as_seen_inside(config.isolation == crate::isolation::Isolation::Bwrap);
    let env = sandbox_env(&req, &inside, &repo_url, boot_mode, &config.opencode_bin)?;

    let entry = Arc::new(SandboxEntry::new(
        req.sandbox_id.clone(),
        req.session_id.clone(),
        now_ms(),
        paths.clone(),
        token_hash(&req.sandbox_token),
        local_repo,
    ));
    // Held until the supervisor runs, so a terminate that arrives meanwhile waits for it.
    let _starting = entry.lifecycle.lock().await;
    app.reserve(entry.clone())?;
    if let Err(e) = prepare_dirs(app, &paths, from_snapshot.as_deref()).await {
        app.forget(&entry.id);
        let _ = std::fs::remove_dir_all(&paths.dir);
        return Err(HttpError::internal("cannot prepare the sandbox directory", e));
    }
    let spec = LaunchSpec {
        name: req.sandbox_id.clone(),
        isolation: config.isolation,
        bwrap_bin: config.bwrap_bin.clone(),
        mounts: Mounts {
            root: config.root.clone(),
            workspace: paths.workspace.clone(),
            state: paths.state.clone(),
            agent_bin: config.agent_bin.clone(),
            opencode_bin: config.opencode_bin.clone(),
        },
        env,
        log: paths.log.clone(),
    };
    match launch(spec).await {
        Ok(process) => {
            tracing::info!(sandbox = %entry.id, pid = process.pid(), mode = boot_mode.as_str(), "sandbox started");
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
    let dir = snapshot::find(&app.config.root, &req.snapshot_id)
        .ok_or_else(|| HttpError::new(ErrorCode::NotFound, format!("snapshot {} does not exist", req.snapshot_id)))?;
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

/// Terminates every sandbox, all at once.
pub async fn terminate_all(app: &Arc<App>) {
    let mut set = tokio::task::JoinSet::new();
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
        session_id: entry.session_id.clone(),
        created_at: now_ms(),
        runtime_version: app.config.runtime_version.clone(),
        runtime_generation: oi_protocol::provider::RUNTIME_GENERATION,
        size_bytes: None,
    };
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
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert!(validate(&request()).is_ok());
        type Change = fn(&mut CreateSandbox);
        let cases: [(Change, &str); 5] = [
            (|r| r.sandbox_id = "../etc".into(), "sandbox_id"),
            (|r| r.session_id = "a/b".into(), "session_id"),
            (|r| r.repo = "".into(), "repo"),
            (|r| r.sandbox_token = " ".into(), "sandbox_token"),
            (|r| r.branch = "".into(), "branch"),
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
